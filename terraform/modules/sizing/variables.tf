variable "mem_gib" {
  description = "Memory the fwkit job may use, in GiB (what `fwkit run --mem` caps it at). The instance must leave this much after the OS reserve in `instance_types.json`."
  type        = number

  validation {
    condition     = var.mem_gib >= 0.5 && var.mem_gib <= 4096
    error_message = "`mem_gib` must be between `0.5` and `4096` GiB: a streaming job needs about 0.3 GiB, and no type in the table has more than 2 TiB."
  }
}

variable "min_vcpus" {
  description = "Fewest vCPUs the instance may have (fwkit runs one tokenizer worker per vCPU)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_vcpus >= 1 && var.min_vcpus <= 448 && floor(var.min_vcpus) == var.min_vcpus
    error_message = "`min_vcpus` must be a whole number from `1` to `448`."
  }
}

variable "instance_type" {
  description = "An EC2 instance type to use instead of the cheapest that fits (e.g. `r7i.2xlarge`); empty picks from the table."
  type        = string
  default     = ""

  validation {
    condition     = var.instance_type == "" || can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "`instance_type` must look like `r7i.2xlarge`, or be empty to pick the cheapest type that fits."
  }
}

variable "use_spot" {
  description = "Ask for a spot instance (capped at the on-demand price) instead of on-demand."
  type        = bool
  default     = false
}

variable "input_gib" {
  description = "GiB of input the instance stages on its disk (copies from S3, the Hugging Face cache); `0` when inputs are streamed."
  type        = number
  default     = 0

  validation {
    condition     = var.input_gib >= 0 && var.input_gib <= 16000
    error_message = "`input_gib` must be between `0` and `16000` (gp3's 16 TiB limit)."
  }
}

variable "output_gib" {
  description = "GiB of shards the job is expected to write (about 2 bytes per token: uint16)."
  type        = number
  default     = 0

  validation {
    condition     = var.output_gib >= 0 && var.output_gib <= 16000
    error_message = "`output_gib` must be between `0` and `16000` (gp3's 16 TiB limit)."
  }
}

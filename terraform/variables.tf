variable "aws_region" {
  description = "AWS region for the instance, e.g. `us-east-1` (the instance table's prices are for `us-east-1`)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "`aws_region` must be a region code such as `us-east-1`."
  }
}

variable "name" {
  description = "Prefix for the names and the `Name` tag of everything created, e.g. `fwkit`."
  type        = string
  default     = "fwkit"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name))
    error_message = "`name` must be 1-32 letters, digits or dashes, starting with a letter."
  }
}

variable "mem_gib" {
  description = "Memory the fwkit job may use, in GiB (`fwkit run --mem`); the instance is chosen to leave this much after the OS."
  type        = number
}

variable "min_vcpus" {
  description = "Fewest vCPUs the instance may have (one tokenizer worker per vCPU)."
  type        = number
  default     = 1
}

variable "instance_type" {
  description = "Use this EC2 type instead of the cheapest in `modules/sizing/instance_types.json` that fits."
  type        = string
  default     = ""
}

variable "use_spot" {
  description = "Run on a one-time spot instance (max price: on-demand). If AWS has no spot capacity the apply fails; `fwkit cloud up --spot` then retries on-demand."
  type        = bool
  default     = false
}

variable "input_gib" {
  description = "GiB of input staged on the instance's disk as stored (compressed files stay compressed; `s3://` inputs are copied first); sizes the root volume."
  type        = number
  default     = 0
}

variable "output_gib" {
  description = "GiB of shards expected (about 2 bytes per token, counted from the decompressed text: `fwkit doctor` estimates it); sizes the root volume."
  type        = number
  default     = 0
}

variable "fwkit_version" {
  description = "The fwkit release the instance installs, e.g. `0.1.0`."
  type        = string
}

variable "fwkit_wheel_uri" {
  description = "Install this wheel instead of the PyPI release: `s3://bucket/fwkit-0.1.0-py3-none-any.whl` (the instance role may read it) or `https://...`."
  type        = string
  default     = ""
}

variable "job" {
  description = "The fwkit job: `inputs` (`s3://` objects, `s3://` prefixes ending in `/`, or `https://` files), `mem` (e.g. `100G`), `options` (`fwkit tokenize` options other than `--out`)."
  type = object({
    inputs  = list(string)
    mem     = string
    options = optional(list(string), [])
  })
}

variable "output_uri" {
  description = "Where the shards and `manifest.json` go: `s3://bucket/prefix`; `status.json`, `bootstrap.log` and the resume state go to `<prefix>.fwkit/`. The instance may write nowhere else."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^/].*$", var.output_uri))
    error_message = "`output_uri` must be `s3://bucket/prefix` with a prefix: the instance role may write only under it."
  }
}

variable "runtime" {
  description = "`fwkit run --runtime` on the instance: `cgroup` (default), `docker`, `none` or `auto`."
  type        = string
  default     = "cgroup"
}

variable "max_hours" {
  description = "The instance powers off and terminates this many hours after boot, finished or not: the cap on the bill (an outside schedule terminates it 15 minutes later if it has not)."
  type        = number
  default     = 12
}

variable "hf_token_ssm_parameter" {
  description = "Name of a `SecureString` SSM parameter holding the Hugging Face token (e.g. `/fwkit/hf_token`); the instance role may read only it. Empty for none."
  type        = string
  default     = ""
}

variable "ami_id" {
  description = "AMI to boot (x86_64, cloud-init, systemd); empty for the latest Amazon Linux 2023."
  type        = string
  default     = ""

  validation {
    condition     = var.ami_id == "" || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "`ami_id` must look like `ami-0123456789abcdef0`, or be empty."
  }
}

variable "subnet_id" {
  description = "Subnet for the instance (it needs outbound internet or VPC endpoints for S3, SSM and PyPI); empty for the default VPC."
  type        = string
  default     = ""
}

variable "ssh" {
  description = "SSH access, off by default (use `session_manager`): `cidr` allowed to reach port 22, one IPv4 host or a small block (`/24` or narrower), and the EC2 `key_name`."
  type = object({
    cidr     = optional(string, "")
    key_name = optional(string, "")
  })
  default = {}

  # cidrnetmask() accepts IPv4 only; the prefix length must be 24..32 (at most 256 addresses).
  validation {
    condition     = var.ssh.cidr == "" || (can(cidrnetmask(var.ssh.cidr)) && try(tonumber(split("/", var.ssh.cidr)[1]) >= 24, false))
    error_message = "`ssh.cidr` must be one IPv4 host or a small block such as `203.0.113.7/32` or `203.0.113.0/24` (`/24` or narrower), never `0.0.0.0/0` or `0.0.0.0/1`."
  }
}

variable "session_manager" {
  description = "Allow SSM Session Manager (`aws ssm start-session --target <instance_id>`): the agent's channel actions only, not `AmazonSSMManagedInstanceCore`."
  type        = bool
  default     = false
}

variable "resume" {
  description = "Continue the job from the resume state under `<output_uri>.fwkit/state/` (a reclaimed spot instance, `max_hours`), instead of starting over."
  type        = bool
  default     = false
}

variable "sync_minutes" {
  description = "Minutes between uploads of the finished shards and the resume state while the job runs (also on SIGTERM, a spot interruption notice and 10 minutes before `max_hours`)."
  type        = number
  default     = 5

  validation {
    condition     = var.sync_minutes > 0 && var.sync_minutes <= 60
    error_message = "`sync_minutes` must be above `0` and at most `60`: the work since the last upload is what an interruption loses."
  }
}

variable "idle_minutes" {
  description = "The outside guard terminates the instance when its CPU stays below 2% this long (a hung boot or job); whole 5-minute periods."
  type        = number
  default     = 30

  validation {
    condition     = var.idle_minutes >= 10 && var.idle_minutes <= 1440
    error_message = "`idle_minutes` must be from `10` to `1440`: shorter would stop a job still installing."
  }
}

variable "tags" {
  description = "Extra tags for everything created."
  type        = map(string)
  default     = {}
}

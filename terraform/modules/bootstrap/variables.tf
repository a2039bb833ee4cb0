variable "fwkit_version" {
  description = "The fwkit release the instance installs (`pip install fwkit==<version>`), e.g. `0.1.0`."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+([.+-]?[a-z0-9.]+)?$", var.fwkit_version))
    error_message = "`fwkit_version` must be a pinned release such as `0.1.0`, not a range."
  }
}

variable "fwkit_wheel_uri" {
  description = "Install this wheel instead of the release from PyPI: `s3://bucket/fwkit-0.1.0-py3-none-any.whl`, an `https://` URL, or a path on the instance. Empty: PyPI."
  type        = string
  default     = ""

  validation {
    condition     = var.fwkit_wheel_uri == "" || can(regex("^(s3://|https://|/).+\\.whl$", var.fwkit_wheel_uri))
    error_message = "`fwkit_wheel_uri` must be an `s3://`, `https://` or absolute path ending in `.whl`."
  }
}

variable "pip_find_links" {
  description = "Wheel directories (paths on the instance or `https://` URLs) to install from with `pip --no-index`, for offline installs; empty uses PyPI."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for d in var.pip_find_links : can(regex("^(/|https://)", d))])
    error_message = "Each `pip_find_links` entry must be an absolute path or an `https://` URL."
  }
}

variable "job" {
  description = "The fwkit job: `inputs` (`s3://` objects or prefixes ending in `/`, `https://` files, or paths on the instance), `mem` (the `fwkit run --mem` cap, e.g. `100G`), `options` (`fwkit tokenize` options other than `--out`, e.g. `[\"--format\", \"npy\"]`)."
  type = object({
    inputs  = list(string)
    mem     = string
    options = optional(list(string), [])
  })

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?[KMGT](i?B)?$", var.job.mem))
    error_message = "`job.mem` must be a size such as `16G` or `100G`."
  }
  validation {
    condition     = length(var.job.inputs) > 0 || contains(var.job.options, "--dataset")
    error_message = "`job.inputs` is empty and `job.options` has no `--dataset`: the job would have nothing to tokenize."
  }
  validation {
    condition     = !contains(var.job.options, "--out") && !contains(var.job.options, "-o")
    error_message = "`job.options` must not set `--out`: the bootstrap writes to its work directory and uploads to `output_uri`."
  }
  validation {
    condition     = alltrue([for a in concat(var.job.inputs, var.job.options) : !can(regex("hf_[A-Za-z0-9]{20,}", a))])
    error_message = "`job` holds what looks like a Hugging Face token; user data is readable by anyone who can describe the instance: store the token in SSM Parameter Store and set `hf_token_ssm_parameter`."
  }
}

variable "runtime" {
  description = "`fwkit run --runtime` on the instance: `cgroup` (native cap, the default), `docker`, `none` or `auto`."
  type        = string
  default     = "cgroup"

  validation {
    condition     = contains(["cgroup", "docker", "none", "auto"], var.runtime)
    error_message = "`runtime` must be `cgroup`, `docker`, `none` or `auto`."
  }
}

variable "output_uri" {
  description = "Where the shards and `manifest.json` go: `s3://bucket/prefix`, or an absolute path (tests); `status.json`, `bootstrap.log` and the resume state go beside it, to `<output_uri>.fwkit/`."
  type        = string

  validation {
    condition     = can(regex("^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|/.+)$", var.output_uri))
    error_message = "`output_uri` must be `s3://bucket/prefix` (a valid bucket name) or an absolute path."
  }
}

variable "max_hours" {
  description = "Hard limit: the instance powers itself off (and terminates) this many hours after boot, finished or not."
  type        = number
  default     = 12

  validation {
    condition     = var.max_hours > 0 && var.max_hours <= 168
    error_message = "`max_hours` must be above `0` and at most `168` (a week): it is what stops a stuck job's bill."
  }
}

variable "hf_token_ssm_parameter" {
  description = "Name of a `SecureString` SSM parameter holding the Hugging Face token (e.g. `/fwkit/hf_token`), read at run time with the instance role; empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.hf_token_ssm_parameter == "" || can(regex("^/[A-Za-z0-9_./-]+$", var.hf_token_ssm_parameter))
    error_message = "`hf_token_ssm_parameter` must be a parameter name such as `/fwkit/hf_token` (not the token itself)."
  }
}

variable "aws_region" {
  description = "Region for the AWS CLI on the instance (SSM, S3); empty leaves the CLI's default."
  type        = string
  default     = ""
}

variable "paths" {
  description = "Where things go on the instance: `work_dir` (staged inputs and shards), `log` (the bootstrap log), `venv` (fwkit's virtualenv)."
  type = object({
    work_dir = optional(string, "/var/lib/fwkit")
    log      = optional(string, "/var/log/fwkit-bootstrap.log")
    venv     = optional(string, "/opt/fwkit")
  })
  default = {}

  validation {
    condition     = alltrue([for p in [var.paths.work_dir, var.paths.log, var.paths.venv] : startswith(p, "/")])
    error_message = "Every entry of `paths` must be an absolute path."
  }
}

variable "resume" {
  description = "Continue from the resume state under `<output_uri>.fwkit/state/` instead of starting over (a fresh start removes an earlier run's objects under `output_uri`)."
  type        = bool
  default     = false
}

variable "sync_minutes" {
  description = "Minutes between uploads of finished shards and the resume state while the job runs."
  type        = number
  default     = 5

  validation {
    condition     = var.sync_minutes > 0 && var.sync_minutes <= 60
    error_message = "`sync_minutes` must be above `0` and at most `60`."
  }
}

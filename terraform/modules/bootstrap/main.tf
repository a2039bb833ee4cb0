# Renders the instance's cloud-init script (bootstrap.sh.tftpl) and works out which S3 objects it
# reads and writes, so the root module's IAM policy allows exactly those. Pure: no provider.

locals {
  # Every value enters the script as one single-quoted bash word: ' becomes '\'' (close, escaped
  # quote, reopen), so no input, option or path can break out into shell code.
  inputs_sh  = join(" ", [for s in var.job.inputs : "'${replace(s, "'", "'\\''")}'"])
  options_sh = join(" ", [for s in var.job.options : "'${replace(s, "'", "'\\''")}'"])
  links_sh   = join(" ", [for s in var.pip_find_links : "'${replace(s, "'", "'\\''")}'"])
  scalars_sh = { for k, v in {
    version    = var.fwkit_version
    wheel_uri  = var.fwkit_wheel_uri
    mem        = var.job.mem
    runtime    = var.runtime
    output_uri = trimsuffix(var.output_uri, "/")
    hf_param   = var.hf_token_ssm_parameter
    region     = var.aws_region
    work_dir   = var.paths.work_dir
    log        = var.paths.log
    venv       = var.paths.venv
  } : k => "'${replace(v, "'", "'\\''")}'" }

  # max_hours as whole minutes for `shutdown -P +MIN`: 12 h = 720 min; at least 1.
  max_minutes = max(1, ceil(var.max_hours * 60))

  s3_uris   = concat([for s in var.job.inputs : s if startswith(s, "s3://")], startswith(var.fwkit_wheel_uri, "s3://") ? [var.fwkit_wheel_uri] : [])
  s3_reads  = [for s in local.s3_uris : { bucket = split("/", trimprefix(s, "s3://"))[0], key = join("/", slice(split("/", trimprefix(s, "s3://")), 1, length(split("/", trimprefix(s, "s3://"))))) }]
  out_parts = split("/", trimprefix(trimsuffix(var.output_uri, "/"), "s3://"))
  # The instance writes `prefix/` (the output) and `prefix.fwkit/` (status, log, resume state).
  s3_write  = startswith(var.output_uri, "s3://") ? { bucket = local.out_parts[0], prefix = join("/", slice(local.out_parts, 1, length(local.out_parts))) } : null
  needs_aws = length(local.s3_uris) > 0 || local.s3_write != null || var.hf_token_ssm_parameter != ""

  user_data = templatefile("${path.module}/bootstrap.sh.tftpl", merge(local.scalars_sh, {
    inputs       = local.inputs_sh
    options      = local.options_sh
    find_links   = local.links_sh
    max_minutes  = local.max_minutes
    needs_aws    = local.needs_aws
    resume       = var.resume
    sync_seconds = ceil(var.sync_minutes * 60)
  }))
}

output "user_data" {
  description = "The cloud-init script (bash) that installs fwkit, runs the job, uploads and powers off. Holds no secret: the HF token is read from SSM at run time."
  value       = local.user_data
}

output "s3_reads" {
  description = "S3 objects or prefixes (`key` ending in `/`) the instance reads: the inputs and the wheel, as `{bucket, key}`."
  value       = local.s3_reads
}

output "s3_write" {
  description = "The S3 prefix the instance writes, as `{bucket, prefix}`; `null` for a local `output_uri`."
  value       = local.s3_write
}

output "needs_aws_cli" {
  description = "Whether the script uses the AWS CLI (S3 or SSM); it installs it when the AMI lacks it."
  value       = local.needs_aws
}

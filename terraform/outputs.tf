output "instance_id" {
  description = "The EC2 instance running the job."
  value       = aws_instance.this.id
}

output "instance_state" {
  description = "The instance's state at the last refresh (`running`, `shutting-down`, ...)."
  value       = aws_instance.this.instance_state
}

output "instance_type" {
  description = "The EC2 instance type chosen (or given)."
  value       = module.sizing.instance_type
}

output "market_type" {
  description = "`spot` or `on-demand`."
  value       = module.sizing.market_type
}

output "usd_per_hour" {
  description = "On-demand price per hour from the table (`us-east-1`); the ceiling with spot."
  value       = module.sizing.usd_per_hour
}

output "root_volume_gib" {
  description = "Size of the encrypted gp3 root volume."
  value       = module.sizing.root_volume_gib
}

output "max_hours" {
  description = "Hours after boot at which the instance powers itself off, finished or not."
  value       = var.max_hours
}

output "output_uri" {
  description = "Where the shards, `manifest.json` and `_fwkit/status.json` are uploaded."
  value       = var.output_uri
}

output "ami_id" {
  description = "The AMI the instance booted."
  value       = local.ami_id
}

output "console_command" {
  description = "Shows the bootstrap's log as it runs (serial console)."
  value       = "aws ec2 get-console-output --region ${var.aws_region} --latest --output text --instance-id ${aws_instance.this.id}"
}

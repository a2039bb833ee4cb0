# The AWS module planned against a MOCKED aws provider: no credentials, no API call. Needs the
# provider's schema, so `terraform init` must find hashicorp/aws (registry or -plugin-dir).
# Run: terraform -chdir=terraform init -backend=false && terraform -chdir=terraform test

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_ami" {
    defaults = { id = "ami-0123456789abcdef0" }
  }
  mock_data "aws_vpc" {
    defaults = { id = "vpc-0123456789abcdef0" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_resource "aws_instance" {
    defaults = { arn = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", id = "i-0123456789abcdef0" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/fwkit-deadline" }
  }
}

variables {
  mem_gib       = 100
  fwkit_version = "0.1.0"
  output_uri    = "s3://my-bucket/shards/fineweb"
  output_gib    = 20
  job = {
    inputs  = ["s3://my-bucket/raw/train.txt", "s3://my-bucket/raw/more/"]
    mem     = "100G"
    options = ["--format", "npy"]
  }
}

run "instance_is_locked_down_mocked_aws" {
  command = apply # against the mock: nothing leaves this machine
  assert {
    condition     = aws_instance.this.instance_type == "r7i.4xlarge" && aws_instance.this.ami == "ami-0123456789abcdef0"
    error_message = "100 GiB runs on r7i.4xlarge from the looked-up AMI"
  }
  assert {
    condition     = aws_instance.this.instance_initiated_shutdown_behavior == "terminate"
    error_message = "poweroff must terminate the instance"
  }
  assert {
    condition     = aws_instance.this.metadata_options[0].http_tokens == "required"
    error_message = "IMDSv2 must be required"
  }
  assert {
    condition     = aws_instance.this.root_block_device[0].encrypted && aws_instance.this.root_block_device[0].volume_type == "gp3" && aws_instance.this.root_block_device[0].volume_size == 40
    error_message = "root volume: gp3, encrypted, (12 + 20) x 1.25 = 40 GiB"
  }
  assert {
    condition     = length(aws_instance.this.instance_market_options) == 0
    error_message = "on-demand by default"
  }
  assert {
    condition     = length(aws_security_group.this.ingress) == 0
    error_message = "no inbound rule without ssh.cidr"
  }
  assert {
    condition     = one(aws_security_group.this.egress).protocol == "tcp" && one(aws_security_group.this.egress).from_port == 443 && one(aws_security_group.this.egress).to_port == 443
    error_message = "egress is HTTPS only"
  }
  assert {
    condition     = strcontains(aws_instance.this.user_data, "MEM='100G'") && strcontains(aws_instance.this.user_data, "trap finish EXIT")
    error_message = "the bootstrap is the user data"
  }
}

run "iam_writes_only_the_output_prefix_mocked_aws" {
  command = apply # against the mock: nothing leaves this machine
  assert {
    condition     = data.aws_iam_policy_document.this.statement[0].resources == toset(["arn:aws:s3:::my-bucket/shards/fineweb/*", "arn:aws:s3:::my-bucket/shards/fineweb.fwkit/*"])
    error_message = "write access must be the output prefix and its .fwkit sibling only"
  }
  assert {
    condition     = jsonencode(tolist(one(data.aws_iam_policy_document.this.statement[1].condition).values)) == jsonencode(["shards/fineweb/*", "shards/fineweb.fwkit/*"])
    error_message = "listing only under the output prefixes"
  }
  assert {
    condition     = data.aws_iam_policy_document.this.statement[2].resources == toset(["arn:aws:s3:::my-bucket/raw/train.txt", "arn:aws:s3:::my-bucket/raw/more/*"])
    error_message = "read access must be the inputs only"
  }
  assert {
    condition     = jsonencode(tolist(one(data.aws_iam_policy_document.this.statement[3].condition).values)) == jsonencode(["raw/more/*"])
    error_message = "listing only under an input prefix"
  }
  assert {
    condition     = length(aws_iam_role_policy.session_manager) == 0
    error_message = "no Session Manager (and no AmazonSSMManagedInstanceCore) unless asked for"
  }
}

run "spot_and_ssh_from_one_network_mocked_aws" {
  command = apply # against the mock: nothing leaves this machine
  variables {
    use_spot = true
    ssh      = { cidr = "203.0.113.7/32", key_name = "me" }
  }
  assert {
    condition     = aws_instance.this.instance_market_options[0].market_type == "spot" && aws_instance.this.instance_market_options[0].spot_options[0].instance_interruption_behavior == "terminate"
    error_message = "spot, terminated on interruption"
  }
  assert {
    condition     = jsonencode(one(aws_security_group.this.ingress).cidr_blocks) == jsonencode(["203.0.113.7/32"]) && one(aws_security_group.this.ingress).from_port == 22
    error_message = "SSH only from the given CIDR"
  }
}

run "session_manager_scoped_when_asked_mocked_aws" {
  command = apply # against the mock: nothing leaves this machine
  variables {
    session_manager = true
  }
  assert {
    condition     = length(aws_iam_role_policy.session_manager) == 1
    error_message = "Session Manager is an inline policy when asked for"
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.session_manager.statement : alltrue([for a in s.actions : !startswith(a, "ssm:Get") && !startswith(a, "s3:")])])
    error_message = "the Session Manager policy reads no parameter and no bucket"
  }
}

run "outside_guard_terminates_mocked_aws" {
  command = apply # against the mock: nothing leaves this machine
  assert {
    condition     = aws_cloudwatch_metric_alarm.idle.alarm_actions == toset(["arn:aws:automate:us-east-1:ec2:terminate"]) && aws_cloudwatch_metric_alarm.idle.evaluation_periods == 6
    error_message = "30 idle minutes (6 x 5 min) terminate the instance"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.hung.metric_name == "StatusCheckFailed_Instance" && aws_cloudwatch_metric_alarm.hung.alarm_actions == toset(["arn:aws:automate:us-east-1:ec2:terminate"])
    error_message = "a failing status check terminates the instance"
  }
  assert {
    condition     = startswith(aws_scheduler_schedule.deadline.schedule_expression, "at(") && aws_scheduler_schedule.deadline.target[0].arn == "arn:aws:scheduler:::aws-sdk:ec2:terminateInstances"
    error_message = "a one-time schedule terminates the instance after max_hours"
  }
  assert {
    condition     = data.aws_iam_policy_document.terminate.statement[0].resources == toset(["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"])
    error_message = "the deadline role may terminate this instance only"
  }
}

run "ssh_half_the_internet_refused_mocked_aws" {
  command = plan
  variables {
    ssh = { cidr = "0.0.0.0/1" }
  }
  expect_failures = [var.ssh]
}

run "ssh_wide_block_refused_mocked_aws" {
  command = plan
  variables {
    ssh = { cidr = "10.0.0.0/16" }
  }
  expect_failures = [var.ssh]
}

run "ssh_open_to_the_world_refused_mocked_aws" {
  command = plan
  variables {
    ssh = { cidr = "0.0.0.0/0" }
  }
  expect_failures = [var.ssh]
}

run "output_must_be_an_s3_prefix_mocked_aws" {
  command = plan
  variables {
    output_uri = "s3://my-bucket"
  }
  expect_failures = [var.output_uri]
}

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
    condition     = strcontains(aws_instance.this.user_data, "MEM='100G'") && strcontains(aws_instance.this.user_data, "trap finish EXIT")
    error_message = "the bootstrap is the user data"
  }
}

run "iam_writes_only_the_output_prefix_mocked_aws" {
  command = apply # against the mock: nothing leaves this machine
  assert {
    condition     = data.aws_iam_policy_document.this.statement[0].resources == toset(["arn:aws:s3:::my-bucket/shards/fineweb/*"])
    error_message = "write access must be the output prefix only"
  }
  assert {
    condition     = data.aws_iam_policy_document.this.statement[1].resources == toset(["arn:aws:s3:::my-bucket/raw/train.txt", "arn:aws:s3:::my-bucket/raw/more/*"])
    error_message = "read access must be the inputs only"
  }
  assert {
    condition     = jsonencode(tolist(one(data.aws_iam_policy_document.this.statement[2].condition).values)) == jsonencode(["raw/more/*"])
    error_message = "listing only under an input prefix"
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

# One EC2 instance that runs one fwkit job and terminates: sized by modules/sizing, booted with
# modules/bootstrap's cloud-init script, allowed to read its inputs and write only its output prefix.

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ "fwkit:job" = var.name, ManagedBy = "terraform" }, var.tags)
  }
}

module "sizing" {
  source = "./modules/sizing"

  mem_gib       = var.mem_gib
  min_vcpus     = var.min_vcpus
  instance_type = var.instance_type
  use_spot      = var.use_spot
  input_gib     = var.input_gib
  output_gib    = var.output_gib
}

module "bootstrap" {
  source = "./modules/bootstrap"

  fwkit_version          = var.fwkit_version
  fwkit_wheel_uri        = var.fwkit_wheel_uri
  job                    = var.job
  runtime                = var.runtime
  output_uri             = var.output_uri
  max_hours              = var.max_hours
  hf_token_ssm_parameter = var.hf_token_ssm_parameter
  aws_region             = var.aws_region
  resume                 = var.resume
  sync_minutes           = var.sync_minutes
}

data "aws_partition" "this" {}
data "aws_caller_identity" "this" {}

data "aws_ami" "this" {
  count = var.ami_id == "" ? 1 : 0

  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-kernel-*-x86_64"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

data "aws_vpc" "default" {
  count   = var.subnet_id == "" ? 1 : 0
  default = true
}

data "aws_subnet" "this" {
  count = var.subnet_id == "" ? 0 : 1
  id    = var.subnet_id
}

locals {
  arn_prefix = "arn:${data.aws_partition.this.partition}"
  ami_id     = var.ami_id != "" ? var.ami_id : data.aws_ami.this[0].id
  vpc_id     = var.subnet_id == "" ? data.aws_vpc.default[0].id : data.aws_subnet.this[0].vpc_id
  write      = module.bootstrap.s3_write
  # The output prefix (shards + manifest.json only) and its sibling `<prefix>.fwkit/` (status.json,
  # bootstrap.log and, while the job runs, the resume state): the only keys the instance writes.
  write_prefixes = ["${local.write.prefix}/", "${local.write.prefix}.fwkit/"]
  # An input key ending in "/" is a prefix: its objects, and listing under it (aws s3 cp --recursive).
  read_objects  = [for r in module.bootstrap.s3_reads : "${local.arn_prefix}:s3:::${r.bucket}/${r.key}${endswith(r.key, "/") ? "*" : ""}"]
  read_prefixes = [for r in module.bootstrap.s3_reads : r if endswith(r.key, "/")]
}

# Egress HTTPS only: S3, SSM, PyPI, the Hugging Face hub and the AL2023 package repos all speak
# TLS on 443. (DNS to the VPC resolver and IMDS are not subject to security groups.) No inbound
# rule unless `ssh.cidr` is set.
resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "fwkit job instance: egress HTTPS only, SSH from ssh.cidr when set"
  vpc_id      = local.vpc_id

  egress {
    description      = "HTTPS: S3, SSM, PyPI and the Hugging Face hub"
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  dynamic "ingress" {
    for_each = var.ssh.cidr == "" ? [] : [var.ssh.cidr]
    content {
      description = "SSH from the one network given in ssh.cidr"
      from_port   = 22
      to_port     = 22
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "this" {
  # Read and delete too: a resumed job downloads its state, and the final upload removes stale
  # objects of an earlier run under a reused prefix. Nothing outside the two prefixes.
  statement {
    sid       = "WriteOnlyTheOutputPrefixes"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for p in local.write_prefixes : "${local.arn_prefix}:s3:::${local.write.bucket}/${p}*"]
  }

  statement {
    sid       = "ListOnlyTheOutputPrefixes"
    actions   = ["s3:ListBucket"]
    resources = ["${local.arn_prefix}:s3:::${local.write.bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for p in local.write_prefixes : "${p}*"]
    }
  }

  dynamic "statement" {
    for_each = length(local.read_objects) > 0 ? [1] : []
    content {
      sid       = "ReadTheInputsAndWheel"
      actions   = ["s3:GetObject"]
      resources = local.read_objects
    }
  }

  dynamic "statement" {
    for_each = local.read_prefixes
    content {
      actions   = ["s3:ListBucket"]
      resources = ["${local.arn_prefix}:s3:::${statement.value.bucket}"]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value.key}*"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.hf_token_ssm_parameter == "" ? [] : [var.hf_token_ssm_parameter]
    content {
      sid       = "ReadTheHuggingFaceToken"
      actions   = ["ssm:GetParameter"]
      resources = ["${local.arn_prefix}:ssm:${var.aws_region}:${data.aws_caller_identity.this.account_id}:parameter${statement.value}"]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "${var.name}-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "this" {
  name_prefix = "${var.name}-s3-ssm-"
  role        = aws_iam_role.this.id
  policy      = data.aws_iam_policy_document.this.json
}

# Session Manager instead of SSH (`aws ssm start-session --target <instance_id>`), only when asked
# for: the agent's channel calls, not AmazonSSMManagedInstanceCore (which also grants
# `ssm:GetParameter(s)` on every parameter). The ssmmessages/ec2messages actions take no resource
# ARN; UpdateInstanceInformation is limited to instances tagged with this job.
data "aws_iam_policy_document" "session_manager" {
  statement {
    sid       = "RegisterThisJobsInstance"
    actions   = ["ssm:UpdateInstanceInformation"]
    resources = ["${local.arn_prefix}:ec2:${var.aws_region}:${data.aws_caller_identity.this.account_id}:instance/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/fwkit:job"
      values   = [var.name]
    }
  }
  statement {
    sid = "SessionChannels"
    actions = [
      "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
      "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
      "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "session_manager" {
  count = var.session_manager ? 1 : 0

  name_prefix = "${var.name}-ssm-session-"
  role        = aws_iam_role.this.id
  policy      = data.aws_iam_policy_document.session_manager.json
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "${var.name}-"
  role        = aws_iam_role.this.name
}

resource "aws_instance" "this" {
  ami                    = local.ami_id
  instance_type          = module.sizing.instance_type
  subnet_id              = var.subnet_id == "" ? null : var.subnet_id
  vpc_security_group_ids = [aws_security_group.this.id]
  iam_instance_profile   = aws_iam_instance_profile.this.name
  key_name               = var.ssh.key_name == "" ? null : var.ssh.key_name

  # `poweroff` at the end of the bootstrap (or the max_hours timer) ends the bill: terminate, not stop.
  instance_initiated_shutdown_behavior = "terminate"
  user_data                            = module.bootstrap.user_data
  user_data_replace_on_change          = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 2          # 2, so the docker runtime's containers reach IMDS too
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = module.sizing.root_volume_gib
    encrypted             = true
    delete_on_termination = true
  }

  dynamic "instance_market_options" {
    for_each = var.use_spot ? [1] : []
    content {
      market_type = "spot"
      spot_options {
        spot_instance_type             = "one-time"
        instance_interruption_behavior = "terminate"
      }
    }
  }

  tags = {
    Name = var.name
  }

  depends_on = [aws_iam_role_policy.this, aws_iam_role_policy.session_manager]
}

# The bill's outside guard: if the instance cannot stop itself (cloud-init never ran the bootstrap,
# the OS hung, the power-off timer was lost), AWS terminates it. Three independent triggers:
# - idle: CPU below 2% for `idle_minutes` (a job tokenizes at ~100% of its vCPUs; a stuck boot idles);
# - hung: the instance status check failing for 15 minutes;
# - deadline: an EventBridge Scheduler one-shot at plan time + `max_hours` + 30 minutes of grace
#   (the instance exposes no launch time to Terraform; the plan is made just before it boots).

locals {
  terminate_action = "${local.arn_prefix}:automate:${var.aws_region}:ec2:terminate"
  # CloudWatch's basic EC2 metrics come every 5 minutes: idle_minutes 30 = 6 periods of 300 s.
  idle_periods = max(1, ceil(var.idle_minutes / 5))
  # at() takes a local time without zone, in `schedule_expression_timezone` (UTC).
  deadline = formatdate("YYYY-MM-DD'T'hh:mm:ss", timeadd(plantimestamp(), "${ceil(var.max_hours * 60) + 30}m"))
}

resource "aws_cloudwatch_metric_alarm" "idle" {
  alarm_name          = "${var.name}-${aws_instance.this.id}-idle"
  alarm_description   = "fwkit: terminate the job's instance when its CPU has idled for ${var.idle_minutes} minutes"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  dimensions          = { InstanceId = aws_instance.this.id }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = local.idle_periods
  threshold           = 2
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.terminate_action]
}

resource "aws_cloudwatch_metric_alarm" "hung" {
  alarm_name          = "${var.name}-${aws_instance.this.id}-hung"
  alarm_description   = "fwkit: terminate the job's instance when its status check has failed for 15 minutes"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_Instance"
  dimensions          = { InstanceId = aws_instance.this.id }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.terminate_action]
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.this.account_id]
    }
  }
}

# The scheduler may terminate this one instance and nothing else.
data "aws_iam_policy_document" "terminate" {
  statement {
    actions   = ["ec2:TerminateInstances"]
    resources = [aws_instance.this.arn]
  }
}

resource "aws_iam_role" "deadline" {
  name_prefix        = "${substr(var.name, 0, 28)}-deadline-" # IAM allows a 38-character prefix
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

resource "aws_iam_role_policy" "deadline" {
  name_prefix = "${var.name}-terminate-"
  role        = aws_iam_role.deadline.id
  policy      = data.aws_iam_policy_document.terminate.json
}

resource "aws_scheduler_schedule" "deadline" {
  name_prefix                  = "${substr(var.name, 0, 28)}-deadline-"
  description                  = "fwkit: terminate ${aws_instance.this.id} after max_hours (${var.max_hours} h) + 30 min"
  schedule_expression          = "at(${local.deadline})"
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "${local.arn_prefix}:scheduler:::aws-sdk:ec2:terminateInstances"
    role_arn = aws_iam_role.deadline.arn
    input    = jsonencode({ InstanceIds = [aws_instance.this.id] })
  }

  # A new deadline with each new instance only: later plans must not move it.
  lifecycle {
    ignore_changes       = [schedule_expression]
    replace_triggered_by = [aws_instance.this.id]
  }
}

"""fwkit on AWS: pick an instance from the shared table, drive Terraform, read back the result.

`sizing` is pure (the JSON table shared with `terraform/modules/sizing`); `terraform` wraps the CLI;
`estimate` prices a job offline; `sync` runs on the instance and keeps the output prefix resumable;
`store` and `report` reach S3 through the AWS CLI. No SDK: Terraform and the AWS CLI make every
AWS call, and both honour `AWS_ENDPOINT_URL`.
"""

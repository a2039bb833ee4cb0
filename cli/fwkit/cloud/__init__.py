"""fwkit on AWS: pick an instance from the shared table, drive Terraform, read back the result.

`sizing` is pure (the JSON table shared with `terraform/modules/sizing`); `terraform` wraps the CLI;
`estimate` prices a job offline. Nothing here calls the AWS API directly: Terraform does.
"""

terraform {
  # Provider-free on purpose: `terraform test` of this module runs offline, with no registry.
  required_version = ">= 1.9.0, < 2.0.0"
}

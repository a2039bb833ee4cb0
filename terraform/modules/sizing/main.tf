# The instance choice and the disk size: pure arithmetic over instance_types.json, the same table
# `fwkit.cloud.sizing` reads, so `fwkit cloud estimate` and `terraform plan` pick the same type.

locals {
  table   = jsondecode(file("${path.module}/instance_types.json"))
  types   = local.table.instance_types
  reserve = local.table.os_reserve
  by_name = { for t in local.types : t.name => t }

  # Usable = nominal x (1 - fraction) - fixed, e.g. a 16 GiB type leaves 16 x 0.95 - 1 = 14.2 GiB.
  usable_gib = { for t in local.types : t.name => t.memory_gib * (1 - local.reserve.fraction) - local.reserve.fixed_gib }
  fits       = [for t in local.types : t if local.usable_gib[t.name] >= var.mem_gib && t.vcpus >= var.min_vcpus]

  # Cheapest first; ties go to the earlier row (Python's min() does the same).
  cheapest_price = length(local.fits) > 0 ? min([for t in local.fits : t.usd_per_hour]...) : null
  cheapest       = length(local.fits) > 0 ? [for t in local.fits : t if t.usd_per_hour == local.cheapest_price][0] : null

  overridden    = var.instance_type != ""
  chosen        = local.overridden ? lookup(local.by_name, var.instance_type, null) : local.cheapest
  instance_type = local.overridden ? var.instance_type : try(local.cheapest.name, null)
  # An override must fit the job too, when the table knows it; an unknown type is taken on trust.
  override_fits = !local.overridden || local.chosen == null || try(local.usable_gib[var.instance_type] >= var.mem_gib && local.chosen.vcpus >= var.min_vcpus, false)

  # Root disk: 12 GiB for the OS (the AMI's 8 GiB) + Python venvs, pip cache and logs (4 GiB),
  # plus staged inputs and the shards, plus a 25% margin; at least 20 GiB. gp3 costs
  # $0.08/GiB-month, so 100 GiB for 3 hours is 100 x 0.08 x 3 / 730 = $0.03.
  base_gib        = 12
  margin          = 1.25
  root_volume_gib = max(20, ceil((local.base_gib + var.input_gib + var.output_gib) * local.margin))
}

output "instance_type" {
  description = "The EC2 instance type: the cheapest in the table that fits, or `var.instance_type`."
  value       = local.instance_type

  precondition {
    condition     = local.instance_type != null
    error_message = "No instance type in instance_types.json leaves ${var.mem_gib} GiB usable with ${var.min_vcpus} vCPUs: lower `mem_gib` (fwkit streams, so a smaller budget only costs speed) or `min_vcpus`, or set `instance_type`."
  }
  precondition {
    condition     = local.override_fits
    error_message = "`instance_type` ${var.instance_type} leaves less than ${var.mem_gib} GiB usable or has fewer than ${var.min_vcpus} vCPUs: pick a larger type or leave it empty."
  }
}

output "memory_gib" {
  description = "The type's nominal memory in GiB (`null` for a type not in the table)."
  value       = try(local.chosen.memory_gib, null)
}

output "usable_memory_gib" {
  description = "Memory left for the job after the OS reserve, in GiB (`null` for a type not in the table)."
  value       = try(local.usable_gib[local.instance_type], null)
}

output "vcpus" {
  description = "The type's vCPUs (`null` for a type not in the table)."
  value       = try(local.chosen.vcpus, null)
}

output "usd_per_hour" {
  description = "On-demand price in USD per hour in the table's region; with spot, the most an hour can cost (the default spot max price)."
  value       = try(local.chosen.usd_per_hour, null)
}

output "market_type" {
  description = "`spot` or `on-demand`."
  value       = var.use_spot ? "spot" : "on-demand"
}

output "root_volume_gib" {
  description = "Size of the encrypted gp3 root volume in GiB."
  value       = local.root_volume_gib
}

output "price_region" {
  description = "The region the table's prices are for."
  value       = local.table.region
}

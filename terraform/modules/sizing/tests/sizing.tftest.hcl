# terraform test (offline: the module needs no provider). Run: terraform -chdir=terraform/modules/sizing test

run "cheapest_for_100_gib" {
  command = plan
  variables {
    mem_gib = 100
  }
  # (100 + 1) / 0.95 = 106.3 GiB nominal: r7i.4xlarge, 128 GiB, 16 vCPUs, $1.0584/h.
  assert {
    condition     = output.instance_type == "r7i.4xlarge"
    error_message = "100 GiB should pick r7i.4xlarge, got ${output.instance_type}"
  }
  assert {
    condition     = output.usd_per_hour == 1.0584 && output.vcpus == 16 && output.memory_gib == 128
    error_message = "wrong row for r7i.4xlarge"
  }
  assert {
    condition     = output.market_type == "on-demand"
    error_message = "on-demand is the default"
  }
}

run "small_job_smallest_type" {
  command = plan
  variables {
    mem_gib = 1
  }
  # c7i.large: 4 GiB leaves 4 x 0.95 - 1 = 2.8 GiB, the cheapest row.
  assert {
    condition     = output.instance_type == "c7i.large"
    error_message = "1 GiB should pick c7i.large, got ${output.instance_type}"
  }
  assert {
    condition     = output.root_volume_gib == 20
    error_message = "no data: the 20 GiB floor, got ${output.root_volume_gib}"
  }
}

run "vcpus_change_the_choice" {
  command = plan
  variables {
    mem_gib   = 100
    min_vcpus = 64
  }
  assert {
    condition     = output.instance_type == "c7i.16xlarge"
    error_message = "100 GiB with 64 vCPUs should pick c7i.16xlarge, got ${output.instance_type}"
  }
}

run "the_16_gib_boundary" {
  command = plan
  variables {
    mem_gib = 14.2
  }
  assert {
    condition     = output.memory_gib == 16 && output.usable_memory_gib >= 14.2
    error_message = "14.2 GiB fits a 16 GiB type exactly, got ${output.memory_gib}"
  }
}

run "very_large_memory_is_x2idn" {
  command = plan
  variables {
    mem_gib = 1500
  }
  assert {
    condition     = output.instance_type == "x2idn.32xlarge"
    error_message = "1500 GiB is past r7i.48xlarge's usable 1458.2: x2idn.32xlarge, got ${output.instance_type}"
  }
}

run "spot_same_type_on_demand_ceiling" {
  command = plan
  variables {
    mem_gib  = 100
    use_spot = true
  }
  assert {
    condition     = output.market_type == "spot" && output.instance_type == "r7i.4xlarge" && output.usd_per_hour == 1.0584
    error_message = "spot keeps the choice and reports the on-demand price as the ceiling"
  }
}

run "override_in_table" {
  command = plan
  variables {
    mem_gib       = 8
    instance_type = "m7i.4xlarge"
  }
  assert {
    condition     = output.instance_type == "m7i.4xlarge" && output.vcpus == 16 && output.usd_per_hour == 0.8064
    error_message = "the override wins and keeps its row"
  }
}

run "override_not_in_table_taken_on_trust" {
  command = plan
  variables {
    mem_gib       = 8
    instance_type = "m6a.2xlarge"
  }
  assert {
    condition     = output.instance_type == "m6a.2xlarge" && output.usd_per_hour == null
    error_message = "an unknown type is used as given, without a price"
  }
}

run "volume_from_data" {
  command = plan
  variables {
    mem_gib    = 16
    input_gib  = 40
    output_gib = 20
  }
  # (12 + 40 + 20) x 1.25 = 90 GiB.
  assert {
    condition     = output.root_volume_gib == 90
    error_message = "expected a 90 GiB volume, got ${output.root_volume_gib}"
  }
}

run "no_type_is_big_enough" {
  command = plan
  variables {
    mem_gib = 3000
  }
  expect_failures = [output.instance_type]
}

run "override_too_small" {
  command = plan
  variables {
    mem_gib       = 64
    instance_type = "c7i.large"
  }
  expect_failures = [output.instance_type]
}

run "invalid_memory" {
  command = plan
  variables {
    mem_gib = 0
  }
  expect_failures = [var.mem_gib]
}

run "invalid_vcpus" {
  command = plan
  variables {
    mem_gib   = 8
    min_vcpus = 2.5
  }
  expect_failures = [var.min_vcpus]
}

run "invalid_instance_type" {
  command = plan
  variables {
    mem_gib       = 8
    instance_type = "R7I 2XL"
  }
  expect_failures = [var.instance_type]
}

run "invalid_output_size" {
  command = plan
  variables {
    mem_gib    = 8
    output_gib = -1
  }
  expect_failures = [var.output_gib]
}

# terraform test (offline: the module needs no provider). Run: terraform -chdir=terraform/modules/bootstrap test

variables {
  fwkit_version = "0.1.0"
  output_uri    = "s3://my-bucket/shards/fineweb/"
  job = {
    inputs  = ["s3://my-bucket/raw/train.txt", "s3://my-bucket/raw/more/", "/data/it's here.txt"]
    mem     = "100G"
    options = ["--format", "npy", "--shard-tokens", "100M"]
  }
}

run "renders_the_job" {
  command = plan
  assert {
    condition     = startswith(output.user_data, "#!/bin/bash\n")
    error_message = "user data must be a bash script for cloud-init"
  }
  assert {
    condition     = strcontains(output.user_data, "MEM='100G'") && strcontains(output.user_data, "OPTIONS=('--format' 'npy' '--shard-tokens' '100M')")
    error_message = "the job's --mem and options must be in the script, quoted"
  }
  assert {
    condition     = strcontains(output.user_data, "'/data/it'\\''s here.txt'")
    error_message = "a quote in an input must be escaped as '\\''"
  }
  assert {
    condition     = strcontains(output.user_data, "OUTPUT_URI='s3://my-bucket/shards/fineweb'")
    error_message = "the output URI loses its trailing slash"
  }
  assert {
    condition     = strcontains(output.user_data, "MAX_MINUTES=720") && strcontains(output.user_data, "shutdown -P \"+$MAX_MINUTES\"")
    error_message = "the default 12 h limit is a 720 min shutdown timer"
  }
  assert {
    condition     = strcontains(output.user_data, "poweroff") && strcontains(output.user_data, "trap finish EXIT")
    error_message = "the script must power off on exit"
  }
  assert {
    condition     = strcontains(output.user_data, "SPEC=\"fwkit==$VERSION\"") && strcontains(output.user_data, "VERSION='0.1.0'")
    error_message = "fwkit is installed at the pinned version"
  }
}

run "s3_access_is_exactly_the_job" {
  command = plan
  assert {
    condition     = output.s3_write.bucket == "my-bucket" && output.s3_write.prefix == "shards/fineweb"
    error_message = "write access is the output prefix only"
  }
  assert {
    condition     = length(output.s3_reads) == 2 && output.s3_reads[0].key == "raw/train.txt" && output.s3_reads[1].key == "raw/more/"
    error_message = "reads are the S3 inputs, got ${jsonencode(output.s3_reads)}"
  }
  assert {
    condition     = output.needs_aws_cli
    error_message = "S3 needs the AWS CLI"
  }
}

run "local_test_setup" {
  command = plan
  variables {
    output_uri     = "/dest"
    pip_find_links = ["/wheelhouse/deps", "/wheelhouse/fwkit"]
    runtime        = "none"
    max_hours      = 0.5
    job = {
      inputs = ["/data/train.txt"]
      mem    = "1G"
    }
  }
  assert {
    condition     = output.s3_write == null && length(output.s3_reads) == 0 && !output.needs_aws_cli
    error_message = "no S3, no AWS CLI"
  }
  assert {
    condition     = strcontains(output.user_data, "FIND_LINKS=('/wheelhouse/deps' '/wheelhouse/fwkit')") && strcontains(output.user_data, "MAX_MINUTES=30")
    error_message = "offline wheel dirs and a 30 min timer"
  }
}

run "hf_token_from_ssm_not_in_user_data" {
  command = plan
  variables {
    hf_token_ssm_parameter = "/fwkit/hf_token"
    job = {
      inputs  = []
      mem     = "16G"
      options = ["--dataset", "HuggingFaceFW/fineweb-edu"]
    }
  }
  assert {
    condition     = strcontains(output.user_data, "HF_PARAM='/fwkit/hf_token'") && strcontains(output.user_data, "aws ssm get-parameter --with-decryption --name \"$HF_PARAM\"")
    error_message = "the script names the SSM parameter and reads the token at run time"
  }
  assert {
    condition     = output.needs_aws_cli
    error_message = "SSM needs the AWS CLI"
  }
}

run "token_in_job_refused" {
  command = plan
  variables {
    job = {
      inputs  = ["s3://b/x.txt"]
      mem     = "16G"
      options = ["--text-column", "hf_abcdefghijklmnopqrstuvwxyz0123"]
    }
  }
  expect_failures = [var.job]
}

run "out_in_options_refused" {
  command = plan
  variables {
    job = {
      inputs  = ["s3://b/x.txt"]
      mem     = "16G"
      options = ["--out", "/tmp/x"]
    }
  }
  expect_failures = [var.job]
}

run "bad_mem_refused" {
  command = plan
  variables {
    job = {
      inputs = ["s3://b/x.txt"]
      mem    = "lots"
    }
  }
  expect_failures = [var.job]
}

run "nothing_to_tokenize_refused" {
  command = plan
  variables {
    job = {
      inputs = []
      mem    = "8G"
    }
  }
  expect_failures = [var.job]
}

run "max_hours_bounded" {
  command = plan
  variables {
    max_hours = 0
  }
  expect_failures = [var.max_hours]
}

run "bad_output_uri" {
  command = plan
  variables {
    output_uri = "s3://Bad_Bucket/x"
  }
  expect_failures = [var.output_uri]
}

run "version_must_be_pinned" {
  command = plan
  variables {
    fwkit_version = ">=0.1"
  }
  expect_failures = [var.fwkit_version]
}

run "token_not_parameter_name" {
  command = plan
  variables {
    hf_token_ssm_parameter = "hf_abcdefghijklmnopqrstuvwxyz0123"
  }
  expect_failures = [var.hf_token_ssm_parameter]
}

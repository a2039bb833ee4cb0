# FineWeb-Edu sample-10BT (10B tokens; without --subset it is the whole 1.3T-token dataset) streamed from
# the Hugging Face hub -> llm.c shards, on spot; after a reclaim, rerun with resume = true. The HF token lives in
# SSM Parameter Store, never here:
#   aws ssm put-parameter --name /fwkit/hf_token --type SecureString --value "$HF_TOKEN"
#   terraform -chdir=terraform apply -var-file=examples/fineweb-edu-spot.tfvars
aws_region             = "us-east-1"
name                   = "fwkit-fineweb-edu"
mem_gib                = 32
min_vcpus              = 16
use_spot               = true
fwkit_version          = "0.1.0"
output_gib             = 20 # 10B tokens x 2 bytes
max_hours              = 12
hf_token_ssm_parameter = "/fwkit/hf_token"
output_uri             = "s3://my-bucket/shards/fineweb-edu-10bt"
job = {
  inputs  = []
  mem     = "32G"
  options = ["--dataset", "HuggingFaceFW/fineweb-edu", "--subset", "sample-10BT", "--format", "llmc"]
}

# A 15 GB train.txt in S3 -> build-nanogpt npy shards in S3, on the cheapest type with 16 GiB usable.
#   terraform -chdir=terraform apply -var-file=examples/train-txt-s3.tfvars
# (or let fwkit write the variables: fwkit cloud up --mem 16G -- s3://my-bucket/raw/train.txt --out s3://my-bucket/shards/train --format npy)
aws_region    = "us-east-1"
name          = "fwkit-train-txt"
mem_gib       = 16
min_vcpus     = 8
fwkit_version = "0.1.0"
input_gib     = 15
output_gib    = 8 # ~4.1B tokens x 2 bytes
max_hours     = 6
output_uri    = "s3://my-bucket/shards/train"
job = {
  inputs  = ["s3://my-bucket/raw/train.txt"]
  mem     = "16G"
  options = ["--format", "npy", "--shard-tokens", "100M"]
}

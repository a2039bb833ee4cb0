#!/usr/bin/env bash
# Sets up a machine to run fwkit's whole test suite for real, then stops: system packages, a
# virtualenv with fwkit, its test tools and Ray (the fwkit[ray] extra), a running Docker engine
# and the local base image.
#
#   sudo scripts/setup_dev.sh && .venv/bin/python -m pytest
#
# Real components only: tests use a real Docker engine, cgroups, swap files and `terraform test`,
# so this needs root (apt, dockerd, cgroups). It is idempotent: rerun it any time.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
[[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && { usage; exit 0; }
[[ $(id -u) -eq 0 ]] || { echo "error: setup_dev.sh needs root (apt, dockerd, cgroups): rerun with sudo" >&2; exit 2; }

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

run() { echo "+ $*"; "$@"; }

# Docker engine, debootstrap (the local base image), shellcheck (script lint), and real prose for
# the tokenizer fixtures (Python's docs in English, man pages in Chinese).
packages=(docker.io debootstrap shellcheck python3.11-doc manpages-zh e2fsprogs util-linux)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  run apt-get update -qq
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq "${missing[@]}"
fi

python=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || run "$python" -m venv .venv
run .venv/bin/python -m pip install -q --upgrade pip
run .venv/bin/python -m pip install -q -e ".[test,ray,fast]"  # ray: --engine ray tests run for real; fast: gigatoken, checked against tiktoken

if ! docker info >/dev/null 2>&1; then
  echo "+ dockerd --iptables=false --bridge=none &  (log: /var/log/fwkit-dockerd.log)"
  nohup dockerd --iptables=false --bridge=none >/var/log/fwkit-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "error: dockerd did not start: see /var/log/fwkit-dockerd.log" >&2; exit 2; }
fi

# Terraform (HashiCorp's apt repository) and a local mirror of the AWS provider, which the cloud
# tests init from (`-plugin-dir`, FWKIT_TF_PLUGIN_DIR); both skipped when already there.
if ! command -v terraform >/dev/null; then
  keyring=/usr/share/keyrings/hashicorp-archive-keyring.gpg
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq curl gpg
  echo "+ curl -fsSL https://apt.releases.hashicorp.com/gpg | gpg --dearmor -o $keyring"
  curl -fsSL https://apt.releases.hashicorp.com/gpg | gpg --batch --yes --dearmor -o "$keyring"
  codename=$(sed -n "s/^VERSION_CODENAME=//p" /etc/os-release)
  echo "deb [signed-by=$keyring] https://apt.releases.hashicorp.com $codename main" >/etc/apt/sources.list.d/hashicorp.list
  run apt-get update -qq
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq terraform
fi
plugins=${FWKIT_TF_PLUGIN_DIR:-/opt/tf-plugins}
if [[ ! -d "$plugins/registry.terraform.io/hashicorp/aws" ]]; then
  run terraform -chdir=terraform providers mirror -platform=linux_amd64 "$plugins"
fi

run scripts/build_base_image.sh
echo "ready: .venv/bin/python -m pytest"

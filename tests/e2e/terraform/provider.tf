# Used by ../test_terraform.py: the test copies this file and ONE of the trail-*.tf variants
# into a fresh working directory (same state across steps) and runs terraform there.
# Every value that points at OpenTrail comes in as a variable (TF_VAR_* from admin.env).

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "endpoint" {
  type        = string
  description = "OpenTrail's base URL, e.g. http://127.0.0.1:PORT"
}

variable "region" {
  type = string
}

variable "access_key" {
  type      = string
  sensitive = true
}

variable "secret_key" {
  type      = string
  sensitive = true
}

provider "aws" {
  region     = var.region
  access_key = var.access_key
  secret_key = var.secret_key

  # These tests are about CloudTrail: no STS round trip (test_sts.py covers it), and OpenTrail
  # serves neither IMDS nor the region list.
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  # Fail fast instead of retrying a throttling/5xx answer 25 times.
  max_retries = 1

  # The trail's bucket lives on the S3-compatible test server (see bucket.tf).
  s3_use_path_style = true

  endpoints {
    cloudtrail = var.endpoint
    sts        = var.endpoint
    s3         = var.s3_endpoint
  }
}

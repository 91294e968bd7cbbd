# Step 1 of ../test_terraform.py: a trail with a basic event selector (management events
# plus S3 object writes in one bucket), logging on.

resource "aws_cloudtrail" "audit" {
  name                          = "tf-e2e-trail"
  s3_bucket_name                = aws_s3_bucket.logs.id
  s3_key_prefix                 = "opentrail/basic"
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  enable_logging                = true
  # CloudTrail checks the bucket policy at CreateTrail.
  depends_on = [aws_s3_bucket_policy.logs]

  tags = {
    Environment = "e2e"
    ManagedBy   = "terraform"
  }

  event_selector {
    read_write_type           = "WriteOnly"
    include_management_events = true

    data_resource {
      type   = "AWS::S3::Object"
      values = ["arn:aws:s3:::tf-e2e-data-bucket/"]
    }
  }
}

output "trail_arn" {
  value = aws_cloudtrail.audit.arn
}

output "home_region" {
  value = aws_cloudtrail.audit.home_region
}

# Step 2 of ../test_terraform.py: the same trail switched to advanced event selectors,
# with a new key prefix (UpdateTrail), one tag removed and one added (RemoveTags, AddTags).

resource "aws_cloudtrail" "audit" {
  name                          = "tf-e2e-trail"
  s3_bucket_name                = aws_s3_bucket.logs.id
  s3_key_prefix                 = "opentrail/advanced"
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_log_file_validation    = true
  enable_logging                = true
  # CloudTrail checks the bucket policy at CreateTrail.
  depends_on = [aws_s3_bucket_policy.logs]

  tags = {
    ManagedBy = "terraform"
    Stage     = "advanced"
  }

  advanced_event_selector {
    name = "Management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  advanced_event_selector {
    name = "S3 object writes"

    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }

    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }

    field_selector {
      field       = "resources.ARN"
      starts_with = ["arn:aws:s3:::tf-e2e-data-bucket/"]
    }

    field_selector {
      field  = "readOnly"
      equals = ["false"]
    }
  }
}

output "trail_arn" {
  value = aws_cloudtrail.audit.arn
}

output "home_region" {
  value = aws_cloudtrail.audit.home_region
}

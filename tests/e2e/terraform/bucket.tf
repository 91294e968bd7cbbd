# Used by ../test_terraform.py in every step: the trail's bucket, on the S3-compatible test
# server (moto), with the bucket policy CloudTrail needs, as AWS documents it. OpenTrail's
# configuration routes this bucket to the same server, so the trail really delivers there.

variable "s3_endpoint" {
  type        = string
  description = "The S3-compatible server's base URL, e.g. http://127.0.0.1:PORT"
}

resource "aws_s3_bucket" "logs" {
  bucket = "tf-e2e-audit-logs"
  # Delivered log files must not stop `terraform destroy` in the test.
  force_destroy = true
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AWSCloudTrailAclCheck"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = aws_s3_bucket.logs.arn
      },
      {
        Sid       = "AWSCloudTrailWrite"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/opentrail/*/AWSLogs/*"
        Condition = { StringEquals = { "s3:x-amz-acl" = "bucket-owner-full-control" } }
      },
    ]
  })
}

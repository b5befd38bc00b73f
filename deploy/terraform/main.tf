# Switchyard on AWS: ECS Fargate behind an application load balancer, RDS PostgreSQL,
# ElastiCache Redis, keys in Secrets Manager, all encrypted with one customer key.
# The network (VPC, subnets, NAT) is an input: most accounts already have one.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

# ------------------------------------------------------------------ encryption key

resource "aws_kms_key" "main" {
  description             = "${var.name}: secrets, database, cache and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/ecs/${var.name}*" }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.main.key_id
}

# ------------------------------------------------------------------ generated secrets

resource "random_password" "db" {
  length  = 40
  special = false
}

resource "random_password" "admin_key" {
  length  = 48
  special = false
}

# SWITCHYARD_MASTER_KEY: base64 of exactly 32 bytes.
resource "random_bytes" "master_key" {
  length = 32
}

# The values the gateway reads as SWITCHYARD_* variables. They are generated here and so
# also live in the Terraform state: keep the state in an encrypted backend with tight
# access. Rotating the master key is a procedure (README "Secrets at rest"), not a
# Secrets Manager rotation lambda.

locals {
  secrets = {
    database-url = "postgres://switchyard:${random_password.db.result}@${aws_db_instance.main.address}:${aws_db_instance.main.port}/switchyard"
    redis-url    = "redis://${aws_elasticache_replication_group.main.primary_endpoint_address}:6379"
    master-key   = random_bytes.master_key.base64
    admin-key    = random_password.admin_key.result
  }
}

resource "aws_secretsmanager_secret" "switchyard" {
  # checkov:skip=CKV2_AWS_57:Application keys without a rotation lambda: the master key is rotated with `switchyard rotate-master-key` (README), the others by replacing the value and redeploying.
  for_each = local.secrets

  name                    = "${var.name}/${each.key}"
  description             = "Switchyard ${each.key}"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "switchyard" {
  for_each = local.secrets

  secret_id     = aws_secretsmanager_secret.switchyard[each.key].id
  secret_string = each.value
}

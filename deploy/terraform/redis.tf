# Redis shares rate limits, cache and change notifications between the gateways.
#
# In-transit encryption and AUTH: Switchyard's Redis client is built without TLS, and
# ElastiCache accepts an AUTH token only together with in-transit encryption, so both
# are off. The cluster is reachable only from the gateway tasks' security group, inside
# private subnets; data at rest is encrypted with the customer key.

resource "aws_elasticache_subnet_group" "main" {
  name       = var.name
  subnet_ids = var.private_subnet_ids
}

resource "aws_elasticache_replication_group" "main" {
  # checkov:skip=CKV_AWS_30:The gateway's Redis client has no TLS support yet (see the comment above); traffic stays in private subnets behind security groups.
  # checkov:skip=CKV_AWS_31:ElastiCache requires in-transit encryption for an AUTH token, which the gateway's Redis client cannot use yet.
  replication_group_id = var.name
  description          = "Switchyard shared state"
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379

  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.main.name
  security_group_ids = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.main.arn
  transit_encryption_enabled = false

  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
  apply_immediately          = false
}

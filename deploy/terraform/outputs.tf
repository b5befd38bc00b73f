output "url" {
  description = "Load balancer address (point your DNS name at it)."
  value       = "https://${aws_lb.main.dns_name}"
}

output "cluster" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.main.name
}

output "service" {
  description = "ECS service name."
  value       = aws_ecs_service.gateway.name
}

output "database_endpoint" {
  description = "RDS PostgreSQL endpoint."
  value       = aws_db_instance.main.endpoint
}

output "redis_endpoint" {
  description = "ElastiCache primary endpoint."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "secret_arns" {
  description = "Secrets Manager ARNs by name; read the admin key with `aws secretsmanager get-secret-value --secret-id <arn of admin-key>`."
  value       = { for k, s in aws_secretsmanager_secret.switchyard : k => s.arn }
}

output "migrate_command" {
  description = "Runs `switchyard migrate` once; do it before updating the service to a new image."
  value = join(" ", [
    "aws ecs run-task --cluster ${aws_ecs_cluster.main.name}",
    "--task-definition ${aws_ecs_task_definition.migrate.family}",
    "--launch-type FARGATE",
    "--network-configuration 'awsvpcConfiguration={subnets=[${join(",", var.private_subnet_ids)}],securityGroups=[${aws_security_group.service.id}],assignPublicIp=DISABLED}'",
  ])
}

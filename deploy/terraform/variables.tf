variable "name" {
  description = "Prefix for every resource name."
  type        = string
  default     = "switchyard"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# ------------------------------------------------------------------ network (existing)

variable "vpc_id" {
  description = "VPC to deploy into."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the internet-facing load balancer (two or more AZs)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the gateway tasks, RDS and ElastiCache (two or more AZs, with a NAT route so the gateway reaches the AI providers)."
  type        = list(string)
}

variable "allowed_cidrs" {
  description = "Client networks allowed to reach the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  description = "ACM certificate of the load balancer's HTTPS listener."
  type        = string
}

variable "alb_access_logs_bucket" {
  description = "S3 bucket for the load balancer's access logs (its policy must allow ELB log delivery); empty: no access logs."
  type        = string
  default     = ""
}

# ------------------------------------------------------------------ gateway service

variable "image" {
  description = "Switchyard image, preferably pinned by digest (REPO@sha256:...)."
  type        = string
}

variable "task_cpu" {
  description = "Fargate task CPU units. bench/README.md: one core carries well over 5k req/s of gateway overhead; 512 leaves room for bursts."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate task memory (MiB). bench/README.md: ~50 MB resident under load plus ~70 MB tokenizer tables; 1024 is the smallest size offered with 512 CPU units."
  type        = number
  default     = 1024
}

variable "desired_count" {
  description = "Gateway tasks at creation; autoscaling moves it between min_count and max_count."
  type        = number
  default     = 2
}

variable "min_count" {
  description = "Fewest gateway tasks."
  type        = number
  default     = 2
}

variable "max_count" {
  description = "Most gateway tasks."
  type        = number
  default     = 10
}

variable "target_cpu_percent" {
  description = "Average CPU the autoscaler keeps."
  type        = number
  default     = 70
}

variable "target_requests_per_task" {
  description = "Load balancer requests per task per minute the autoscaler keeps (ALBRequestCountPerTarget)."
  type        = number
  default     = 12000
}

variable "log_level" {
  description = "SWITCHYARD_LOG filter."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "CloudWatch log retention."
  type        = number
  default     = 365
}

variable "provider_secret_arns" {
  description = "Provider keys as environment variable name => Secrets Manager secret ARN (e.g. OPENAI_API_KEY => arn:...); referenced from the config as api_key = \"env:VAR\"."
  type        = map(string)
  default     = {}
}

# ------------------------------------------------------------------ PostgreSQL

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "RDS storage (GiB)."
  type        = number
  default     = 50
}

variable "db_engine_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "db_multi_az" {
  description = "Standby in a second AZ."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the database and load balancer from deletion."
  type        = bool
  default     = true
}

# ------------------------------------------------------------------ Redis

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

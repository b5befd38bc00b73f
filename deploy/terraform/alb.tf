resource "aws_lb" "main" {
  # checkov:skip=CKV2_AWS_28:A WAF web ACL is an account-level choice; associate yours with aws_wafv2_web_acl_association.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  # Streams and long generations: above [server] request_timeout_ms (10 min).
  idle_timeout = 620

  access_logs {
    bucket  = var.alb_access_logs_bucket
    prefix  = var.name
    enabled = var.alb_access_logs_bucket != ""
  }
}

resource "aws_lb_target_group" "main" {
  name        = var.name
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id
  # Longer than the preStop-free drain: shutdown_grace_ms is 30 s.
  deregistration_delay = 35

  health_check {
    path                = "/ready"
    matcher             = "200"
    interval            = 10
    timeout             = 3
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.main.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}

output "task_definition_family" {
  description = "Task-definition family; the deploy tooling registers new revisions in it."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "ARN of the revision Terraform registered (the running one may be newer after a deploy)."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "Name of the application container in the task definition."
  value       = var.container_name
}

output "container_port" {
  description = "Port the application container listens on."
  value       = var.container_port
}

output "security_group_id" {
  description = "Security group of the tasks; the database and cache allow their ports from it."
  value       = aws_security_group.this.id
}

output "task_role_arn" {
  description = "ARN of the role the application containers run as."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task role, for attaching further application policies."
  value       = aws_iam_role.task.name
}

output "execution_role_arn" {
  description = "ARN of the task execution role (image pull, logs, secret injection)."
  value       = aws_iam_role.execution.arn
}

output "min_tasks" {
  description = "The tier's task floor, which `infra deploy` registers with the first release (until then the target's minimum is 0)."
  value       = var.min_tasks
}

output "autoscaling_min_capacity" {
  description = "Minimum task count of the autoscaling target: 0 until the first release, then min_tasks."
  value       = aws_appautoscaling_target.this.min_capacity
}

output "autoscaling_max_capacity" {
  description = "Maximum task count of the autoscaling target."
  value       = aws_appautoscaling_target.this.max_capacity
}

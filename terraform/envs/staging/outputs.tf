output "platform" {
  description = "Names, ARNs and endpoints of the stack, read by the infra delivery commands (see modules/platform/outputs.tf)."
  value       = module.platform
}

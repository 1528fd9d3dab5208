"""Delivery: what the deployment workflows call, one `infra` subcommand per step.

The order of a deployment, and why:

1. `promote`  copies the image built once (by digest) into the env's registry; nothing is rebuilt.
2. `migrate`  applies the schema migrations while the old code still serves: migrations are
              expand/contract, so the new schema must exist before code that needs it runs.
3. `deploy`   registers a task-definition revision that differs only in the image and moves the
              service to it, remembering the revision it replaced.
4. `health`   polls the service through its load balancer and checks ECS and the target group.
5. `rollback` (on any failure after 3) moves the service back to the remembered revision. It never
              touches infrastructure: a rollback is a service update, not a Terraform run.
6. `summary`  renders the deployment record (every step above appends to it) as Markdown.

Every name and endpoint comes from the env's Terraform outputs (`target.Target`), never from constants.
"""

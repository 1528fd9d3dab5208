"""AppConfig environments, deployment strategies and deployments.

moto 5.2.5: none of these exist: ``CreateEnvironment`` and every other call
under ``/applications/{id}/environments`` or ``/deploymentstrategies`` is a
404 (no route).

Terraform symptom: ``aws_appconfig_environment``,
``aws_appconfig_deployment_strategy`` and ``aws_appconfig_deployment`` fail on
create with "404 Not Found"; ``infra flags`` cannot start deployments.

Patch: add the routes and implement Create/Get/List/Update/DeleteEnvironment,
Create/Get/List/Update/DeleteDeploymentStrategy (including AWS's predefined
``AppConfig.*`` strategies) and Start/Get/List/StopDeployment.  A deployment
completes at once (State ``COMPLETE``, 100 %), as if its strategy had run.
Tags go to moto's existing AppConfig tagger, keyed by the ARNs AWS uses.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

# AWS's predefined strategies (they exist in every account and cannot be changed).
PREDEFINED_STRATEGIES: dict[str, dict[str, Any]] = {
    "AppConfig.AllAtOnce": {
        "DeploymentDurationInMinutes": 0,
        "GrowthFactor": 100.0,
        "FinalBakeTimeInMinutes": 10,
    },
    "AppConfig.Linear50PercentEvery30Seconds": {
        "DeploymentDurationInMinutes": 1,
        "GrowthFactor": 50.0,
        "FinalBakeTimeInMinutes": 1,
    },
    "AppConfig.Linear20PercentEvery6Minutes": {
        "DeploymentDurationInMinutes": 30,
        "GrowthFactor": 20.0,
        "FinalBakeTimeInMinutes": 30,
    },
    "AppConfig.Canary10Percent20Minutes": {
        "DeploymentDurationInMinutes": 20,
        "GrowthFactor": 10.0,
        "FinalBakeTimeInMinutes": 10,
        "GrowthType": "EXPONENTIAL",
    },
}

ROUTES = {
    "{0}/applications/(?P<app_id>[^/]+)/environments$": "env",
    "{0}/applications/(?P<app_id>[^/]+)/environments/(?P<env_id>[^/]+)$": "env",
    "{0}/applications/(?P<app_id>[^/]+)/environments/(?P<env_id>[^/]+)/deployments$": "dep",
    "{0}/applications/(?P<app_id>[^/]+)/environments/(?P<env_id>[^/]+)/deployments/(?P<num>[^/]+)$": "dep",
    "{0}/deploymentstrategies$": "strategy",
    "{0}/deploymentstrategies/(?P<strategy_id>[^/]+)$": "strategy",
    # AWS's own spelling of the DeleteDeploymentStrategy path.
    "{0}/deployementstrategies/(?P<strategy_id>[^/]+)$": "strategy",
}


def apply() -> None:
    from moto.appconfig import urls
    from moto.appconfig.models import AppConfigBackend
    from moto.appconfig.responses import AppConfigResponse
    from moto.core.exceptions import JsonRESTError
    from moto.moto_api._internal import mock_random

    def not_found(what: str) -> JsonRESTError:
        return JsonRESTError("ResourceNotFoundException", f"{what} not found")

    def bad_request(message: str) -> JsonRESTError:
        return JsonRESTError("BadRequestException", message)

    # ---- backend state -------------------------------------------------------------

    backend_init = AppConfigBackend.__init__

    @functools.wraps(backend_init)
    def __init__(self: AppConfigBackend, *args: Any, **kwargs: Any) -> None:
        backend_init(self, *args, **kwargs)
        self.environments: dict[str, dict[str, dict[str, Any]]] = {}  # app id -> env id -> env
        self.deployment_strategies: dict[str, dict[str, Any]] = {}
        self.deployments: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (app, env) -> deployments

    AppConfigBackend.__init__ = __init__

    def arn(backend: AppConfigBackend, path: str) -> str:
        return f"arn:aws:appconfig:{backend.region_name}:{backend.account_id}:{path}"

    def envs_of(backend: AppConfigBackend, app_id: str) -> dict[str, dict[str, Any]]:
        backend.get_application(app_id)  # raises ResourceNotFound for an unknown app
        return backend.environments.setdefault(app_id, {})

    def get_env(backend: AppConfigBackend, app_id: str, env_id: str) -> dict[str, Any]:
        env = envs_of(backend, app_id).get(env_id)
        if env is None:
            raise not_found(f"Environment {env_id}")
        return env

    def get_strategy(backend: AppConfigBackend, strategy_id: str) -> dict[str, Any]:
        if strategy_id in PREDEFINED_STRATEGIES:
            return {
                "Id": strategy_id,
                "Name": strategy_id,
                "GrowthType": "LINEAR",
                "ReplicateTo": "NONE",
                **PREDEFINED_STRATEGIES[strategy_id],
            }
        strategy = backend.deployment_strategies.get(strategy_id)
        if strategy is None:
            raise not_found(f"Deployment strategy {strategy_id}")
        return strategy

    def get_deployment(backend: AppConfigBackend, app_id: str, env_id: str, number: int) -> dict[str, Any]:
        get_env(backend, app_id, env_id)
        for deployment in backend.deployments.get((app_id, env_id), []):
            if deployment["DeploymentNumber"] == number:
                return deployment
        raise not_found(f"Deployment {number}")

    # ---- responses -----------------------------------------------------------------

    def body(self: AppConfigResponse) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    def reply(payload: Any, status: int = 200) -> tuple[str, dict[str, Any]]:
        return json.dumps(payload), {"status": status, "content-type": "application/json"}

    def no_content() -> tuple[str, dict[str, Any]]:
        return "", {"status": 204}

    def create_environment(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        backend, app_id, req = self.appconfig_backend, self._get_param("ApplicationId"), body(self)
        env = {
            "ApplicationId": app_id,
            "Id": mock_random.get_random_hex(7),
            "Name": req["Name"],
            "Description": req.get("Description"),
            "State": "ReadyForDeployment",
            "Monitors": req.get("Monitors", []),
        }
        envs_of(backend, app_id)[env["Id"]] = env
        backend.tag_resource(
            arn(backend, f"application/{app_id}/environment/{env['Id']}"), req.get("Tags") or {}
        )
        return reply(env, 201)

    def get_environment(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        return reply(
            get_env(
                self.appconfig_backend, self._get_param("ApplicationId"), self._get_param("EnvironmentId")
            )
        )

    def list_environments(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        return reply(
            {"Items": list(envs_of(self.appconfig_backend, self._get_param("ApplicationId")).values())}
        )

    def update_environment(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        env = get_env(
            self.appconfig_backend, self._get_param("ApplicationId"), self._get_param("EnvironmentId")
        )
        env.update({k: v for k, v in body(self).items() if k in ("Name", "Description", "Monitors")})
        return reply(env)

    def delete_environment(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        backend, app_id, env_id = (
            self.appconfig_backend,
            self._get_param("ApplicationId"),
            self._get_param("EnvironmentId"),
        )
        get_env(backend, app_id, env_id)
        del backend.environments[app_id][env_id]
        backend.deployments.pop((app_id, env_id), None)
        return no_content()

    def create_deployment_strategy(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        backend, req = self.appconfig_backend, body(self)
        strategy = {
            "Id": mock_random.get_random_hex(7),
            "Name": req["Name"],
            "Description": req.get("Description"),
            "DeploymentDurationInMinutes": req["DeploymentDurationInMinutes"],
            "GrowthType": req.get("GrowthType", "LINEAR"),
            "GrowthFactor": req["GrowthFactor"],
            "FinalBakeTimeInMinutes": req.get("FinalBakeTimeInMinutes", 0),
            "ReplicateTo": req.get("ReplicateTo", "NONE"),
        }
        backend.deployment_strategies[strategy["Id"]] = strategy
        backend.tag_resource(arn(backend, f"deploymentstrategy/{strategy['Id']}"), req.get("Tags") or {})
        return reply(strategy, 201)

    def get_deployment_strategy(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        return reply(get_strategy(self.appconfig_backend, self._get_param("DeploymentStrategyId")))

    def list_deployment_strategies(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        backend = self.appconfig_backend
        items = [get_strategy(backend, name) for name in PREDEFINED_STRATEGIES]
        return reply({"Items": items + list(backend.deployment_strategies.values())})

    def update_deployment_strategy(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        strategy_id = self._get_param("DeploymentStrategyId")
        if strategy_id in PREDEFINED_STRATEGIES:
            raise bad_request(f"Predefined deployment strategy {strategy_id} cannot be updated")
        strategy = get_strategy(self.appconfig_backend, strategy_id)
        changeable = (
            "Description",
            "DeploymentDurationInMinutes",
            "FinalBakeTimeInMinutes",
            "GrowthFactor",
            "GrowthType",
        )
        strategy.update({k: v for k, v in body(self).items() if k in changeable})
        return reply(strategy)

    def delete_deployment_strategy(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        strategy_id = self._get_param("DeploymentStrategyId")
        if strategy_id in PREDEFINED_STRATEGIES:
            raise bad_request(f"Predefined deployment strategy {strategy_id} cannot be deleted")
        get_strategy(self.appconfig_backend, strategy_id)
        del self.appconfig_backend.deployment_strategies[strategy_id]
        return no_content()

    def start_deployment(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        backend, req = self.appconfig_backend, body(self)
        app_id, env_id = self._get_param("ApplicationId"), self._get_param("EnvironmentId")
        get_env(backend, app_id, env_id)
        profile = backend.get_configuration_profile(app_id, req["ConfigurationProfileId"])
        version = str(req["ConfigurationVersion"])
        version_label = None
        if profile.location_uri == "hosted":
            if not version.isdigit():
                raise bad_request(
                    f"ConfigurationVersion {version} is not a hosted configuration version number"
                )
            version_label = profile.get_version(int(version)).version_label
        strategy = get_strategy(backend, req["DeploymentStrategyId"])
        history = backend.deployments.setdefault((app_id, env_id), [])
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # AppConfig uses ISO 8601
        deployment = {
            "ApplicationId": app_id,
            "EnvironmentId": env_id,
            "DeploymentStrategyId": strategy["Id"],
            "ConfigurationProfileId": profile.id,
            "DeploymentNumber": len(history) + 1,
            "ConfigurationName": profile.name,
            "ConfigurationLocationUri": profile.location_uri,
            "ConfigurationVersion": version,
            "Description": req.get("Description"),
            **{
                k: strategy[k]
                for k in (
                    "DeploymentDurationInMinutes",
                    "GrowthType",
                    "GrowthFactor",
                    "FinalBakeTimeInMinutes",
                )
            },
            "State": "COMPLETE",
            "EventLog": [
                {
                    "EventType": "DEPLOYMENT_COMPLETED",
                    "TriggeredBy": "APPCONFIG",
                    "Description": "Deployment completed",
                    "OccurredAt": now,
                },
                {
                    "EventType": "DEPLOYMENT_STARTED",
                    "TriggeredBy": "USER",
                    "Description": "Deployment started",
                    "OccurredAt": now,
                },
            ],
            "PercentageComplete": 100.0,
            "StartedAt": now,
            "CompletedAt": now,
            "KmsKeyIdentifier": req.get("KmsKeyIdentifier"),
            "VersionLabel": version_label,
        }
        history.append(deployment)
        deployment_arn = arn(
            backend, f"application/{app_id}/environment/{env_id}/deployment/{deployment['DeploymentNumber']}"
        )
        backend.tag_resource(deployment_arn, req.get("Tags") or {})
        return reply(deployment, 201)

    def get_deployment_response(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        number = int(self._get_param("DeploymentNumber"))
        return reply(
            get_deployment(
                self.appconfig_backend,
                self._get_param("ApplicationId"),
                self._get_param("EnvironmentId"),
                number,
            )
        )

    def list_deployments(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        backend, app_id, env_id = (
            self.appconfig_backend,
            self._get_param("ApplicationId"),
            self._get_param("EnvironmentId"),
        )
        get_env(backend, app_id, env_id)
        summary_keys = (
            "DeploymentNumber", "ConfigurationName", "ConfigurationVersion", "DeploymentDurationInMinutes",
            "GrowthType", "GrowthFactor", "FinalBakeTimeInMinutes", "State", "PercentageComplete",
            "StartedAt", "CompletedAt", "VersionLabel",
        )  # fmt: skip
        newest_first = reversed(backend.deployments.get((app_id, env_id), []))
        return reply({"Items": [{k: d[k] for k in summary_keys} for d in newest_first]})

    def stop_deployment(self: AppConfigResponse) -> tuple[str, dict[str, Any]]:
        number = int(self._get_param("DeploymentNumber"))
        deployment = get_deployment(
            self.appconfig_backend, self._get_param("ApplicationId"), self._get_param("EnvironmentId"), number
        )
        if deployment["State"] == "COMPLETE":
            raise bad_request(f"Deployment {number} is already complete and cannot be stopped")
        deployment["State"] = "ROLLED_BACK"
        return reply(deployment, 202)

    handlers = {
        "create_environment": create_environment,
        "get_environment": get_environment,
        "list_environments": list_environments,
        "update_environment": update_environment,
        "delete_environment": delete_environment,
        "create_deployment_strategy": create_deployment_strategy,
        "get_deployment_strategy": get_deployment_strategy,
        "list_deployment_strategies": list_deployment_strategies,
        "update_deployment_strategy": update_deployment_strategy,
        "delete_deployment_strategy": delete_deployment_strategy,
        "start_deployment": start_deployment,
        "get_deployment": get_deployment_response,
        "list_deployments": list_deployments,
        "stop_deployment": stop_deployment,
    }
    for name, handler in handlers.items():
        handler.__name__ = name
        setattr(AppConfigResponse, name, handler)

    for path in ROUTES:
        urls.url_paths[path] = AppConfigResponse.dispatch

"""The template's buses, state machines, SQS queues and SNS topics, created in moto through its API, and each
one's `Ref` and attributes defined on the resolver. Functions and tables are the runtime's: a function the
resolver does not know yet is named after its logical id; a table must already be in moto."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from local.runtime.eventing.shared import EventingError
from local.runtime.template import Resolver

_MOTO_CONFIG = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}


def configure_moto(endpoint: str) -> None:
    """Step Functions executions call AWS from inside moto at `http://localhost:$MOTO_PORT`; moto executes
    state machines and runs Lambda without Docker once told so at `/moto-api/config`; its Wait states read the
    process's clock in UTC (`utc_clock`)."""
    utc_clock()
    request = urllib.request.Request(  # noqa: S310 - the endpoint is the local moto server
        f"{endpoint}/moto-api/config",
        data=json.dumps(_MOTO_CONFIG).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - as above
        pass
    os.environ["MOTO_PORT"] = str(urlsplit(endpoint).port or 80)


def utc_clock() -> None:
    """The process's local time made UTC: moto's Wait until a timestamp subtracts the naive local time from the UTC
    timestamp (`moto/stepfunctions/parser/asl/component/state/wait/wait_function/timestamp.py`), so a campaign's
    `send_at` or a retention's wait would be off by the machine's offset from UTC (hours early or late)."""
    os.environ["TZ"] = "UTC"
    time.tzset()


def of_type(resources: Mapping[str, Any], resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in resources.items():
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties", {})


class MotoResources:
    def __init__(self, resolver: Resolver, clients: Mapping[str, Any]) -> None:
        self._resolver = resolver
        self._clients = clients
        self._resources = resolver.resources
        self.created: dict[str, str] = {}  # logical id -> what `Ref` gives

    def define_functions(self) -> dict[str, str]:
        """Function name -> logical id."""
        functions = {}
        for logical_id, _ in of_type(self._resources, "AWS::Lambda::Function"):
            if logical_id not in self._resolver.physical:
                arn = f"arn:aws:lambda:{self._resolver.region}:{self._resolver.account}:function:{logical_id}"
                self._resolver.define(logical_id, logical_id, Arn=arn)
            functions[self._resolver.ref(logical_id)] = logical_id
        return functions

    def define_tables(self) -> None:
        dynamodb = self._clients["dynamodb"]
        for logical_id, _ in of_type(self._resources, "AWS::DynamoDB::Table"):
            if logical_id not in self._resolver.physical:
                continue
            name = self._resolver.ref(logical_id)
            try:
                table = dynamodb.describe_table(TableName=name)["Table"]
            except dynamodb.exceptions.ResourceNotFoundException as error:
                raise EventingError(f"table {logical_id} ({name}) is not in moto: create tables first") from error
            stream = {"StreamArn": table["LatestStreamArn"]} if "LatestStreamArn" in table else {}
            self._resolver.define(logical_id, name, Arn=table["TableArn"], **stream)

    def create(self) -> None:
        self._create_queues()
        self._create_topics()
        self._create_buses()
        self._create_schedule_groups()
        self._create_state_machines()

    def _name(self, value: Any, logical_id: str) -> str:
        return logical_id if value is None else str(self._resolver.resolve(value))

    def _create_queues(self) -> None:
        sqs = self._clients["sqs"]
        for logical_id, properties in of_type(self._resources, "AWS::SQS::Queue"):
            fifo = bool(properties.get("FifoQueue"))
            name = self._name(properties.get("QueueName"), logical_id + (".fifo" if fifo else ""))
            url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
            arn = f"arn:aws:sqs:{self._resolver.region}:{self._resolver.account}:{name}"
            self._resolver.define(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)
            self.created[logical_id] = url

    def _create_topics(self) -> None:
        sns = self._clients["sns"]
        for logical_id, properties in of_type(self._resources, "AWS::SNS::Topic"):
            fifo = bool(properties.get("FifoTopic"))
            name = self._name(properties.get("TopicName"), logical_id + (".fifo" if fifo else ""))
            arn = sns.create_topic(Name=name, Attributes={"FifoTopic": "true"} if fifo else {})["TopicArn"]
            self._resolver.define(logical_id, arn, TopicArn=arn, TopicName=name)
            self.created[logical_id] = arn

    def _create_buses(self) -> None:
        events = self._clients["events"]
        for logical_id, properties in of_type(self._resources, "AWS::Events::EventBus"):
            name = self._name(properties["Name"], logical_id)
            arn = events.create_event_bus(Name=name)["EventBusArn"]
            self._resolver.define(logical_id, name, Arn=arn, Name=name)
            self.created[logical_id] = name

    def _create_schedule_groups(self) -> None:
        scheduler = self._clients["scheduler"]
        for logical_id, properties in of_type(self._resources, "AWS::Scheduler::ScheduleGroup"):
            name = self._name(properties.get("Name"), logical_id)
            arn = scheduler.create_schedule_group(Name=name)["ScheduleGroupArn"]
            self._resolver.define(logical_id, name, Arn=arn)
            self.created[logical_id] = name

    def schedule_groups(self) -> list[str]:
        """The names of the template's schedule groups (after `create`)."""
        return [
            self._resolver.ref(logical_id)
            for logical_id, _ in of_type(self._resources, "AWS::Scheduler::ScheduleGroup")
        ]

    def _create_state_machines(self) -> None:
        machines = list(of_type(self._resources, "AWS::StepFunctions::StateMachine"))
        region, account = self._resolver.region, self._resolver.account
        for logical_id, properties in machines:  # all ARNs first: a definition may start another machine
            name = self._name(properties.get("StateMachineName"), logical_id)
            arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
            self._resolver.define(logical_id, arn, Arn=arn, Name=name)
            self.created[logical_id] = arn
        for logical_id, properties in machines:
            self._clients["stepfunctions"].create_state_machine(
                name=self._resolver.get_att(logical_id, "Name"),
                definition=self._definition(logical_id, properties),
                roleArn=f"arn:aws:iam::{account}:role/{logical_id}",  # moto wants one; IAM is not enforced
                type=properties.get("StateMachineType", "STANDARD"),
            )

    def _definition(self, logical_id: str, properties: Mapping[str, Any]) -> str:
        if "Definition" in properties:
            text = json.dumps(self._resolver.resolve(properties["Definition"]))
        elif "DefinitionString" in properties:
            text = str(self._resolver.resolve(properties["DefinitionString"]))
        else:
            raise EventingError(f"{logical_id}: the definition must be in the template (DefinitionS3Location is not)")
        for key, value in self._resolver.resolve(properties.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + key + "}", str(value))
        return text

"""The sandbox: moto's server behind the SES gateway, the simulator's clock, the wiring, traffic."""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from dataclasses import asdict, dataclass

from .demo.sdk_clients import Clients
from .demo.starter_wiring import IDENTITY, MARKETING_SET, Wiring, build_wiring
from .demo.traffic import TrafficGenerator
from .http import moto_patches, sns_envelopes
from .http.control_route import ControlApp
from .http.faults import FaultInjector
from .http.gateway import Gateway
from .http.loopback_only import loopback_only
from .http.listener import HttpEndpoint
from .ses.mailbox_simulator import Engagement
from .ses.regional_account import SesAccount, Simulation
from .ses.reputation_metrics import INTERVAL_S as REPUTATION_INTERVAL_S
from .ses.scheduler import Scheduler
from .ses.settings import AccountSettings

log = logging.getLogger(__name__)

# moto keeps its state per process; each sandbox gets its own AWS account in it. The first one
# has the account id AWS uses in its documentation examples.
_account_ids = (str(n) for n in itertools.count(123456789012))
_account_ids_lock = threading.Lock()


class SandboxError(Exception):
    """The sandbox cannot start; the message says why in one line."""


@dataclass(frozen=True)
class SandboxInfo:
    """What a client needs; the first stdout line of `sestui sandbox` is `as_dict()` as JSON."""

    endpoint_url: str
    region: str
    queue_url: str | None
    topic_arn: str | None
    identity: str | None
    configuration_set: str | None

    def as_dict(self) -> dict:
        return asdict(self)


class Sandbox:
    """A local AWS endpoint (SQS, SNS, SES v1 and v2) with SES's mailbox simulator.

    `wiring=False` starts an empty account. `delay_scale` multiplies every simulated delay (0 for
    as fast as possible). `seed` makes the simulator's and the traffic's choices repeatable.
    `account` holds the settings GetAccount reports (mutable while running: `sandbox.account`).
    `reputation_metrics=False` keeps the sandbox from publishing AWS/SES Reputation.* figures of its
    own (for tests that put their own points into the account's series).
    """

    def __init__(
        self,
        port: int = 0,
        rate: float = 0.0,
        region: str = "us-east-1",
        wiring: bool = True,
        delay_scale: float = 1.0,
        seed: int | None = None,
        account: AccountSettings | None = None,
        engagement: Engagement | None = None,
        reputation_metrics: bool = True,
    ):
        moto_patches.apply()
        with _account_ids_lock:
            self.account_id = next(_account_ids)
        self.region = region
        self.faults = FaultInjector(self.account_id)
        self.simulation = Simulation(delay_scale, engagement or Engagement(), random.Random(seed))
        self._settings = account or AccountSettings()
        self._seed = seed
        self._reputation_metrics = reputation_metrics
        self._rate = rate
        self._want_wiring = wiring
        self._wiring: Wiring | None = None
        self._info: SandboxInfo | None = None
        self._traffic: TrafficGenerator | None = None
        self._scheduler = Scheduler()
        self._accounts: dict[str, SesAccount] = {}
        self._accounts_lock = threading.Lock()
        self._heartbeat_stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        gateway = Gateway(self.account_id, self.faults, self.ses_account, ControlApp(self))
        self._endpoint = HttpEndpoint(loopback_only(gateway), port)

    # --- state -----------------------------------------------------------------------------------

    @property
    def account(self) -> AccountSettings:
        """The settings of the sandbox's region (other regions start with the defaults)."""
        return self._settings

    @property
    def info(self) -> SandboxInfo:
        if self._info is None:
            raise SandboxError("the sandbox is not running")
        return self._info

    @property
    def endpoint_url(self) -> str:
        return self.info.endpoint_url

    @property
    def rate(self) -> float:
        return self._traffic.rate if self._traffic else self._rate

    def set_rate(self, rate: float) -> None:
        """Messages per second the traffic generator sends (0 stops it)."""
        if rate < 0:
            raise ValueError("rate must be at least 0")
        self._rate = rate
        if self._traffic is not None:
            self._traffic.set_rate(rate)

    @property
    def traffic(self) -> TrafficGenerator | None:
        return self._traffic

    def ses_account(self, region: str) -> SesAccount:
        with self._accounts_lock:
            if region not in self._accounts:
                settings = self._settings if region == self.region else AccountSettings()
                self._accounts[region] = SesAccount(self.account_id, region, settings, self._scheduler,
                                                    self.simulation)
                self._accounts[region].reputation.publishing = self._reputation_metrics
            return self._accounts[region]

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SandboxInfo:
        """Listen, build the wiring (first start only), start the traffic. Starting again after
        stop() brings the same account back on the same port."""
        if self._info is not None:
            return self._info
        self._scheduler.start()
        self._heartbeat_stop.clear()
        self._heartbeat = threading.Thread(target=self._publish_reputation, name="sandbox-reputation", daemon=True)
        self._heartbeat.start()
        try:
            self._endpoint.start()
        except OSError as exc:
            self._scheduler.stop()
            raise SandboxError(f"cannot listen on 127.0.0.1:{self._endpoint.port}: {exc.strerror or exc}") from None
        sns_envelopes.register(self.account_id, self._endpoint.url)
        try:
            if self._want_wiring and self._wiring is None:
                self._wiring = build_wiring(Clients(self._endpoint.url, self.region))
        except Exception:
            self.stop()
            raise
        wiring = self._wiring
        self._info = SandboxInfo(
            endpoint_url=self._endpoint.url,
            region=self.region,
            queue_url=wiring.queue_url if wiring else None,
            topic_arn=wiring.topic_arn if wiring else None,
            identity=wiring.identity if wiring else None,
            configuration_set=wiring.configuration_set if wiring else None,
        )
        self._traffic = TrafficGenerator(
            lambda: Clients(self._endpoint.url, self.region),
            identity=wiring.identity if wiring else IDENTITY,
            configuration_set=wiring.configuration_set if wiring else None,
            settings=self._settings,
            rng=random.Random(None if self._seed is None else self._seed + 1),
            rate=self._rate,
            marketing_set=MARKETING_SET if wiring else None,
        )
        self._traffic.start()
        return self._info

    def stop(self) -> None:
        if self._traffic is not None:
            self._traffic.stop()
            self._traffic = None
        self._endpoint.stop()
        self._heartbeat_stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        self._scheduler.stop()
        sns_envelopes.forget(self.account_id)
        self._info = None

    def _publish_reputation(self) -> None:
        """The periodic Reputation.* points (ses.reputation_metrics), every simulated minute."""
        interval = max(1.0, REPUTATION_INTERVAL_S * self.simulation.delay_scale)
        while not self._heartbeat_stop.wait(interval):
            with self._accounts_lock:
                accounts = list(self._accounts.values())
            for account in accounts:
                try:
                    account.reputation.tick()
                except Exception:
                    log.exception("publishing the reputation metrics failed")

    def suspend(self) -> None:
        """Take the HTTP endpoint down (connections refused, open ones cut); everything else,
        state and the simulator's clock included, keeps going."""
        self._endpoint.stop()

    def resume(self) -> None:
        """Bring the endpoint back on the same port."""
        try:
            self._endpoint.start()
        except OSError as exc:
            raise SandboxError(f"cannot listen on 127.0.0.1:{self._endpoint.port} again: "
                               f"{exc.strerror or exc}") from None

    def backfill(self, days: int) -> None:
        """Give the account a past (sending statistics, suppressed addresses, the Reputation.*
        metrics in CloudWatch, VDM on with its daily counts per ISP) for the demo."""
        from .demo.history import backfill, backfill_reputation
        from .demo.starter_wiring import IDENTITY
        from .ses.deliverability_history import backfill_vdm

        account = self.ses_account(self.region)
        now = time.time()
        backfill(account.ledger, account.suppression, now, days, self._seed)
        backfill_reputation(account.reputation, self.account_id, self.region, now, days, self._seed)
        backfill_vdm(account.vdm, IDENTITY, now, days, self._seed)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every record of the sends so far has been published (never true while
        traffic is generated); False if `timeout` passed first."""
        return self._scheduler.wait_idle(timeout)

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

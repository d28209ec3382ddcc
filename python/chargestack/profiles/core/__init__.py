"""The Core profile, as blocks the composition root (``chargestack.assembly``) wires together.

- ``configuration``, ``availability``, ``reset``, ``unlock``, ``data_transfer``: one
  message each (or two), one block each.
- ``authorization``: Authorize and the local rules (list, cache, offline).
- Transactions, in three blocks that share ``running_transactions``:
  ``authorization_wait`` (tag and plug pairing, remote start and stop, ConnectionTimeOut),
  ``transaction_lifecycle`` (durable start and stop for every reason, the answers, recovery
  after a power loss) and ``metering`` (periodic, clock-aligned and triggered MeterValues,
  stop-transaction data, energy registers; ``aligned_meter_values`` keeps the grid).

Optional profiles plug into Core through ``chargestack.station.extension_points``; Core
imports none of them.
"""

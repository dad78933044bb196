// Wires the execution path into the control plane before launch: read-only views of open
// orders, positions, exposure and limits (GET /views/<name>), the intraday limit change
// (POST /control/limits, audited), and the execution latency stages under the seed-000
// "execution" budget.
#pragma once

#include "lcore/runtime.hpp"
#include "src/control/control_plane.hpp"

namespace sy {

void wire_execution_control(Runtime& rt, control::ControlPlane& plane);

// The store's receive-to-durable histograms under the seed-000 persistence budgets.
void wire_storage_budgets(Runtime& rt, control::ControlPlane& plane);

}  // namespace sy

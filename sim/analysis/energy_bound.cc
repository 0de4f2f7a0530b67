#include "sim/analysis/energy_bound.h"

#include <fmt/format.h>
#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace apsis::sim {
namespace {

Status CheckInstance(const BoundInstance& in) {
  if (in.steps <= 0) {
    return InvalidArgumentError(fmt::format("bound instance: steps {} must be > 0", in.steps));
  }
  if (!(in.step_hours > 0) || !std::isfinite(in.step_hours)) {
    return InvalidArgumentError(fmt::format(
        "bound instance: step_hours {} must be > 0 (e.g. 1/60 for minutes)", in.step_hours));
  }
  for (const BoundNode& n : in.nodes) {
    if (static_cast<int>(n.steps.size()) != in.steps) {
      return InvalidArgumentError(
          fmt::format("bound instance: node '{}' has {} steps, the instance {}: give one per step",
                      n.id, n.steps.size(), in.steps));
    }
    if (!(n.pue >= 1) || !std::isfinite(n.pue)) {
      return InvalidArgumentError(
          fmt::format("bound instance: node '{}' pue {} must be >= 1", n.id, n.pue));
    }
    for (int t = 0; t < in.steps; ++t) {
      const BoundNodeStep& s = n.steps[t];
      if (!(s.gpu_capacity >= 0) || !(s.power_available_w >= 0) || !(s.price_usd_per_kwh >= 0) ||
          !std::isfinite(s.gpu_capacity + s.power_available_w + s.price_usd_per_kwh)) {
        return InvalidArgumentError(fmt::format(
            "bound instance: node '{}' step {}: gpu_capacity {}, power_available_w {} and "
            "price_usd_per_kwh {} must be finite and >= 0",
            n.id, t, s.gpu_capacity, s.power_available_w, s.price_usd_per_kwh));
      }
    }
  }
  for (const BoundJob& j : in.jobs) {
    auto bad = [&](const std::string& what) {
      return InvalidArgumentError(fmt::format("bound instance: job '{}': {}", j.id, what));
    };
    if (j.gpus <= 0) return bad(fmt::format("gpus {} must be > 0", j.gpus));
    if (!(j.watts_per_gpu >= 0) || !std::isfinite(j.watts_per_gpu)) {
      return bad(fmt::format("watts_per_gpu {} must be >= 0", j.watts_per_gpu));
    }
    if (j.release_step < 0 || j.deadline_step > in.steps || j.release_step >= j.deadline_step) {
      return bad(
          fmt::format("release_step {} and deadline_step {} must satisfy 0 <= release < "
                      "deadline <= steps ({})",
                      j.release_step, j.deadline_step, in.steps));
    }
    if (j.kind == BoundJobKind::kTraining && (!(j.gpu_hours > 0) || !std::isfinite(j.gpu_hours))) {
      return bad(fmt::format("gpu_hours {} must be > 0 for a training job", j.gpu_hours));
    }
    for (int n : j.allowed_nodes) {
      if (n < 0 || n >= static_cast<int>(in.nodes.size())) {
        return bad(
            fmt::format("allowed node index {} is not one of the {} nodes", n, in.nodes.size()));
      }
    }
  }
  return Status::Ok();
}

std::vector<int> AllowedNodes(const BoundInstance& in, const BoundJob& j) {
  if (!j.allowed_nodes.empty()) return j.allowed_nodes;
  std::vector<int> all(in.nodes.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  return all;
}

// GPUs node `n` could give job `j` at step `t` if the job ran there alone.
double AloneGpus(const BoundNodeStep& s, const BoundJob& j) {
  const bool needs_users = j.kind == BoundJobKind::kInference || j.reach_required;
  if (!s.available || (needs_users && !s.serves_inference)) return 0;
  double gpus = std::min<double>(s.gpu_capacity, j.gpus);
  if (j.watts_per_gpu > 0) gpus = std::min(gpus, s.power_available_w / j.watts_per_gpu);
  return gpus;
}

// A job that cannot fit even with the whole fleet to itself: name it and what it lacks.
Status CheckJobAlone(const BoundInstance& in, const BoundJob& j) {
  const std::vector<int> nodes = AllowedNodes(in, j);
  double work_hours = 0;
  for (int t = j.release_step; t < j.deadline_step; ++t) {
    double gpus = 0;
    for (int n : nodes) gpus += AloneGpus(in.nodes[n].steps[t], j);
    gpus = std::min<double>(gpus, j.gpus);
    if (j.kind == BoundJobKind::kInference && gpus < j.gpus - 1e-9) {
      return FailedPreconditionError(fmt::format(
          "infeasible: inference job '{}' needs {} GPUs at step {} but its allowed nodes offer "
          "{:.3g} there (GPUs, power at {} W per GPU, availability, reach): allow more nodes or "
          "shorten "
          "its serving period",
          j.id, j.gpus, t, gpus, j.watts_per_gpu));
    }
    work_hours += gpus * in.step_hours;
  }
  if (j.kind == BoundJobKind::kTraining && work_hours < j.gpu_hours * (1 - 1e-9)) {
    return FailedPreconditionError(fmt::format(
        "infeasible: training job '{}' needs {} GPU-hours between steps {} and {} but its allowed "
        "nodes offer at most {:.6g} there (GPUs, power at {} W per GPU, availability): move its "
        "deadline later or allow more nodes",
        j.id, j.gpu_hours, j.release_step, j.deadline_step, work_hours, j.watts_per_gpu));
  }
  return Status::Ok();
}

struct ProblemDeleter {
  void operator()(glp_prob* p) const { glp_delete_prob(p); }
};

}  // namespace

Result<BoundResult> EnergyCostLowerBound(const BoundInstance& in) {
  RETURN_IF_ERROR(CheckInstance(in));
  for (const BoundJob& j : in.jobs) RETURN_IF_ERROR(CheckJobAlone(in, j));

  // Columns: x[j,n,t] = GPUs of job j on node n in step t, only where the node may host the job.
  struct Column {
    int job, node, step;
  };
  std::vector<Column> columns;
  for (size_t j = 0; j < in.jobs.size(); ++j) {
    const BoundJob& job = in.jobs[j];
    for (int n : AllowedNodes(in, job)) {
      for (int t = job.release_step; t < job.deadline_step; ++t) {
        if (AloneGpus(in.nodes[n].steps[t], job) <= 0) continue;
        if (columns.size() >= static_cast<size_t>(kMaxBoundVariables)) {
          return ResourceExhaustedError(fmt::format(
              "bound instance too large: more than {} job x node x step variables: use longer "
              "steps, a shorter horizon or fewer jobs",
              kMaxBoundVariables));
        }
        columns.push_back({static_cast<int>(j), n, t});
      }
    }
  }

  std::unique_ptr<glp_prob, ProblemDeleter> lp(glp_create_prob());
  glp_set_obj_dir(lp.get(), GLP_MIN);
  const int num_cols = static_cast<int>(columns.size());
  BoundResult result;
  result.node_energy_cost_usd.assign(in.nodes.size(), 0);
  if (num_cols == 0) return result;  // no jobs: nothing to pay for
  glp_add_cols(lp.get(), num_cols);
  for (int c = 0; c < num_cols; ++c) {
    const Column& col = columns[c];
    const BoundJob& job = in.jobs[col.job];
    const BoundNode& node = in.nodes[col.node];
    glp_set_col_bnds(lp.get(), c + 1, GLP_DB, 0, AloneGpus(node.steps[col.step], job));
    const double kwh_per_gpu = job.watts_per_gpu / 1000 * in.step_hours * node.pue;
    glp_set_obj_coef(lp.get(), c + 1, kwh_per_gpu * node.steps[col.step].price_usd_per_kwh);
  }

  // Rows, and the matrix in GLPK's 1-based triplet form.
  std::vector<int> ia{0}, ja{0};
  std::vector<double> ar{0};
  auto add_row = [&](int type, double bound) {
    const int row = glp_add_rows(lp.get(), 1);
    glp_set_row_bnds(lp.get(), row, type, type == GLP_UP ? 0 : bound, bound);
    return row;
  };
  auto add_entry = [&](int row, int column, double value) {
    ia.push_back(row);
    ja.push_back(column + 1);
    ar.push_back(value);
  };

  // Work or serving: per training job one row over all its columns; per inference job one row
  // per step of its serving period.
  std::vector<std::vector<int>> columns_of_job(in.jobs.size());
  for (int c = 0; c < num_cols; ++c) columns_of_job[columns[c].job].push_back(c);
  for (size_t j = 0; j < in.jobs.size(); ++j) {
    const BoundJob& job = in.jobs[j];
    if (job.kind == BoundJobKind::kTraining) {
      const int row = add_row(GLP_FX, job.gpu_hours);
      for (int c : columns_of_job[j]) add_entry(row, c, in.step_hours);
    } else {
      std::vector<int> row_of_step(in.steps, 0);
      for (int t = job.release_step; t < job.deadline_step; ++t) {
        row_of_step[t] = add_row(GLP_FX, job.gpus);
      }
      for (int c : columns_of_job[j]) add_entry(row_of_step[columns[c].step], c, 1);
    }
    // A training job uses at most `gpus` GPUs at once, wherever they are.
    if (job.kind == BoundJobKind::kTraining) {
      std::vector<int> row_of_step(in.steps, 0);
      for (int c : columns_of_job[j]) {
        int& row = row_of_step[columns[c].step];
        if (row == 0) row = add_row(GLP_UP, job.gpus);
        add_entry(row, c, 1);
      }
    }
  }
  // Capacity and power per node and step, over the jobs that may use it.
  std::vector<int> gpu_row(in.nodes.size() * in.steps, 0), power_row(gpu_row.size(), 0);
  for (int c = 0; c < num_cols; ++c) {
    const Column& col = columns[c];
    const BoundNodeStep& s = in.nodes[col.node].steps[col.step];
    const size_t key = static_cast<size_t>(col.node) * in.steps + col.step;
    if (gpu_row[key] == 0) gpu_row[key] = add_row(GLP_UP, s.gpu_capacity);
    add_entry(gpu_row[key], c, 1);
    const double watts = in.jobs[col.job].watts_per_gpu;
    if (watts > 0) {
      if (power_row[key] == 0) power_row[key] = add_row(GLP_UP, s.power_available_w);
      add_entry(power_row[key], c, watts);
    }
  }
  glp_load_matrix(lp.get(), static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());

  glp_smcp params;
  glp_init_smcp(&params);
  params.msg_lev = GLP_MSG_OFF;
  params.presolve = GLP_ON;
  const int rc = glp_simplex(lp.get(), &params);
  if (rc == GLP_ENOPFS || (rc == 0 && glp_get_status(lp.get()) == GLP_NOFEAS)) {
    return FailedPreconditionError(
        "infeasible: each job fits alone, but together the jobs need more GPUs or power than "
        "their allowed nodes offer in some steps: relax deadlines, shorten serving periods or add "
        "capacity");
  }
  if (rc != 0 || glp_get_status(lp.get()) != GLP_OPT) {
    return InternalError(fmt::format("GLPK simplex did not reach an optimum (code {}, status {})",
                                     rc, glp_get_status(lp.get())));
  }
  result.energy_cost_usd = glp_get_obj_val(lp.get());
  result.variables = num_cols;
  result.constraints = glp_get_num_rows(lp.get());
  for (int c = 0; c < num_cols; ++c) {
    const Column& col = columns[c];
    const double gpus = glp_get_col_prim(lp.get(), c + 1);
    const BoundNode& node = in.nodes[col.node];
    const double kwh = gpus * in.jobs[col.job].watts_per_gpu / 1000 * in.step_hours * node.pue;
    result.energy_kwh += kwh;
    result.node_energy_cost_usd[col.node] += kwh * node.steps[col.step].price_usd_per_kwh;
  }
  return result;
}

}  // namespace apsis::sim

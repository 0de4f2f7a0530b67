#include "scheduler/daemon/job_table.h"

#include <google/protobuf/arena.h>

#include "scheduler/daemon/proto_conversion.h"

namespace apsis::daemon {

const v1::JobStatus& JobRecord::status() const {
  if (!decoded_) Decode();
  return *decoded_;
}

v1::JobStatus& JobRecord::mutable_status() {
  if (!decoded_) Decode();
  if (!changed_) table_->Changed(*this);
  return *decoded_;
}

v1::JobState JobRecord::state() const { return decoded_ ? decoded_->state() : packed_state_; }

void JobRecord::Decode() const {
  decoded_ = std::make_unique<v1::JobStatus>();
  // The bytes were read once already (InsertStored), so they parse.
  (void)decoded_->ParseFromString(packed_);
  packed_ = std::string();
  table_->Decoded(*this);
}

Result<JobRecord*> JobTable::Insert(v1::JobStatus status) {
  const std::string id = status.spec().id();
  auto [it, inserted] = jobs_.try_emplace(id, JobRecord(this, nullptr));
  if (!inserted) return AlreadyExistsError("job '" + id + "' already exists");
  JobRecord& job = it->second;
  job.id_ = &it->first;
  job.decoded_ = std::make_unique<v1::JobStatus>(std::move(status));
  decoded_.insert(&job);
  Changed(job);
  return &job;
}

Result<JobRecord*> JobTable::InsertStored(std::string_view id, std::string_view bytes) {
  // Decoded on an arena over a reused block: no allocation for the tree of messages.
  google::protobuf::ArenaOptions options;
  options.initial_block = arena_block_.data();
  options.initial_block_size = arena_block_.size();
  google::protobuf::Arena arena(options);
  auto* status = google::protobuf::Arena::CreateMessage<v1::JobStatus>(&arena);
  if (!status->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return InvalidArgumentError("job record '" + std::string(id) + "' is unreadable");
  auto it = jobs_.end();
  if (!jobs_.empty() && std::prev(jobs_.end())->first >= id) {
    it = jobs_.find(id);
    if (it != jobs_.end())
      return AlreadyExistsError("job '" + std::string(id) + "' already exists");
  }
  it = jobs_.emplace_hint(it, std::string(id), JobRecord(this, nullptr));
  JobRecord& job = it->second;
  job.id_ = &it->first;
  if (IsTerminal(status->state())) {
    job.packed_ = std::string(bytes);
    job.packed_state_ = status->state();
  } else {
    job.decoded_ = std::make_unique<v1::JobStatus>(*status);
    decoded_.insert(&job);
  }
  // Indexed now, while the decoded record is at hand.
  job.changed_ = true;
  Reindex(job, *status);
  job.changed_ = false;
  return &job;
}

const v1::JobStatus& JobTable::Peek(const JobRecord& job, v1::JobStatus& scratch) const {
  if (job.decoded_) return *job.decoded_;
  scratch.Clear();
  (void)scratch.ParseFromString(job.packed_);
  return scratch;
}

void JobTable::Changed(JobRecord& job) {
  job.changed_ = true;
  changed_.push_back(&job);
}

void JobTable::Decoded(const JobRecord& job) { decoded_.insert(&job); }

void JobTable::Sync() {
  for (JobRecord* job : changed_) {
    Reindex(*job, *job->decoded_);
    job->changed_ = false;
  }
  changed_.clear();
}

void JobTable::Reindex(JobRecord& job, const v1::JobStatus& status) {
  const std::string& id = *job.id_;
  const int state = status.state();
  const bool inference = status.spec().kind() == v1::JOB_KIND_INFERENCE;
  if (job.counted_state_ != state || job.counted_inference_ != inference) {
    if (job.counted_state_ >= 0) --counts_[job.counted_state_][job.counted_inference_];
    ++counts_[state][inference];
    job.counted_state_ = state;
    job.counted_inference_ = inference;
  }
  const bool holds_placement = !IsTerminal(status.state()) &&
                               status.state() != v1::JOB_STATE_PENDING &&
                               !status.placement().node_id().empty();
  const std::string& node = holds_placement ? status.placement().node_id() : std::string();
  if (node != job.indexed_node_) {
    if (!job.indexed_node_.empty()) {
      auto it = by_node_.find(job.indexed_node_);
      it->second.erase(id);
      if (it->second.empty()) by_node_.erase(it);
    }
    if (!node.empty()) by_node_[node].insert(id);
    job.indexed_node_ = node;
  }
  if (inference && status.state() != v1::JOB_STATE_CANCELLED) {
    inference_[id] = status.spec().inference().serve_until_us();
  } else {
    inference_.erase(id);
  }
}

size_t JobTable::Count(v1::JobState state, bool inference) {
  Sync();
  auto it = counts_.find(state);
  return it == counts_.end() ? 0 : it->second[inference];
}

std::map<int, std::array<size_t, 2>> JobTable::Counts() {
  Sync();
  return counts_;
}

const std::set<std::string>& JobTable::OnNode(std::string_view node_id) {
  Sync();
  static const std::set<std::string> kNone;
  auto it = by_node_.find(node_id);
  return it == by_node_.end() ? kNone : it->second;
}

std::vector<std::string> JobTable::NodesWithJobs() {
  Sync();
  std::vector<std::string> out;
  out.reserve(by_node_.size());
  for (const auto& [node, jobs] : by_node_) out.push_back(node);
  return out;
}

const std::map<std::string, int64_t>& JobTable::InferenceDue(int64_t now_us) {
  Sync();
  std::erase_if(inference_, [now_us](const auto& entry) { return entry.second <= now_us; });
  return inference_;
}

void JobTable::PackFinished() {
  Sync();
  for (auto it = decoded_.begin(); it != decoded_.end();) {
    JobRecord& job = const_cast<JobRecord&>(**it);
    if (!IsTerminal(job.decoded_->state())) {
      ++it;
      continue;
    }
    job.packed_ = job.decoded_->SerializeAsString();
    job.packed_state_ = job.decoded_->state();
    job.decoded_.reset();
    it = decoded_.erase(it);
  }
}

}  // namespace apsis::daemon

// The exchange between two connectors through the axis simulator, in one process and
// step by step: the Government office (G22) assigns the seed plan's tasks to the province
// (H20); the province receives them, answers 01 automatically and reports; the office
// sees every status and the progress. Written once, run on SQLite and on PostgreSQL.
#pragma once

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "axis_sim/simulator.hpp"
#include "connector/checkpoint.hpp"
#include "connector/crash_point.hpp"
#include "connector/error.hpp"
#include "connector/exchange.hpp"
#include "connector/logging.hpp"
#include "connector/plan_import.hpp"
#include "edxml/reader.hpp"
#include "edxml/signature.hpp"
#include "edxml/writer.hpp"
#include "store/soci_store.hpp"
#include "store_backends.hpp"
#include "test_files.hpp"
#include "vdxp/http_axis_client.hpp"

namespace exchange_scenarios {

using namespace connector;

// A clock the test moves by hand.
class ManualClock final : public Clock {
  public:
    std::chrono::system_clock::time_point now() const override { return now_; }
    void advance(std::chrono::milliseconds by) { now_ += by; }
    void set(std::chrono::system_clock::time_point to) { now_ = to; }

  private:
    // 2025-06-01 09:00 in Vietnam.
    std::chrono::system_clock::time_point now_ = std::chrono::system_clock::from_time_t(1748743200);
};

inline axis_sim::AgencyConfig agency(const std::string& code, const std::string& name) {
    axis_sim::AgencyConfig config;
    config.id = code;
    config.code = code;
    config.name = name;
    return config;
}

inline axis_sim::SimulatorConfig two_systems() {
    axis_sim::SimulatorConfig config;
    config.base_path = "/XrdAdapter/adapter";
    config.faults.seed = 11;
    config.systems = {
        {"000.00.00.H20",
         "secret-of-dong-thap",
         {agency("000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp"),
          agency("000.00.01.H20", "Văn phòng UBND tỉnh Đồng Tháp"),
          agency("000.00.14.H20", "Sở Khoa học và Công nghệ"),
          agency("000.00.22.H20", "Sở Văn hóa, Thể thao và Du lịch"),
          agency("000.00.25.H20", "Công an tỉnh Đồng Tháp")}},
        {"000.00.00.G22", "secret-of-vpcp", {agency("000.00.00.G22", "Văn phòng Chính phủ")}},
    };
    return config;
}

// One connector: its own store, its own client, its exchange.
struct Side {
    std::string url;
    std::unique_ptr<Store> store;
    std::unique_ptr<vdxp::HttpAxisClient> client;
    std::unique_ptr<Exchange> exchange;

    Side(const store_backends::Backend& backend, const std::string& label,
         const axis_sim::Simulator& simulator, const ManualClock& clock, Sender sender,
         const std::string& secret) {
        url = backend.fresh_url(label);
        store = store::open_store(url, store::Migrations::apply);
        vdxp::ClientSettings client_settings;
        client_settings.base_url = simulator.base_url();
        client_settings.systemid = sender.code;
        client_settings.secret = secret;
        client = std::make_unique<vdxp::HttpAxisClient>(client_settings);
        ExchangeSettings settings;
        settings.sender = std::move(sender);
        settings.worker_id = label;
        settings.seed = 5;
        // Retries come back at once: the test drives the passes itself.
        settings.retry.base = std::chrono::milliseconds(0);
        settings.retry.cap = std::chrono::milliseconds(0);
        settings.breaker.threshold = 1000;
        exchange = std::make_unique<Exchange>(*store, *client, clock, settings);
    }

    // Sends, polls and applies until a pass does nothing new.
    void run_until_idle(int max_passes = 200) {
        for (int pass = 0; pass < max_passes; ++pass) {
            std::size_t work = 0;
            for (int i = 0; i < 3; ++i) {
                const StepReport sent = exchange->send_pending();
                work += sent.done + sent.retried;
                const StepReport documents = exchange->poll(AxisMessageType::edoc);
                const StepReport statuses = exchange->poll(AxisMessageType::status);
                // Re-offers (duplicates) are not new work: a knobstick acknowledged `fail`
                // is offered again for ever by an axis that re-offers failures.
                work += documents.done + statuses.done;
                const StepReport applied = exchange->apply_pending();
                work += applied.done;
                const StepReport tracked = exchange->track_deliveries();
                work += tracked.done + tracked.failed;
            }
            if (work == 0 && store->pending_count(WorkQueue::outbox) == 0 &&
                store->pending_count(WorkQueue::inbox) == 0)
                return;
        }
        BOOST_FAIL("no quiet state after " << max_passes << " passes");
    }
};

inline std::vector<edxml::TaskRecord> seed_plan_tasks(const std::string& document_id) {
    const auto units_path = test_files::source_dir() / "config" / "units-dong-thap.tsv";
    const auto units = UnitDirectory::parse(test_files::read(units_path), units_path.string());
    const auto imported = import_plan(test_files::read(test_files::source_dir() / "samples" /
                                                       "plans" / "ke-hoach-1012-phu-luc.tsv"),
                                      units, document_id, "000.00.00.G22");
    BOOST_REQUIRE(imported.errors.empty());
    return imported.tasks;
}

struct Scenario {
    ManualClock clock;
    axis_sim::Simulator simulator;
    std::unique_ptr<Side> government;
    std::unique_ptr<Side> province;

    explicit Scenario(const store_backends::Backend& backend, const std::string& label,
                      axis_sim::SimulatorConfig axis = two_systems())
        : simulator(std::move(axis)) {
        simulator.start();
        government = std::make_unique<Side>(
            backend, label + "_g22", simulator, clock,
            Sender{"000.00.00.G22", "Văn phòng Chính phủ", "Hà Nội"}, "secret-of-vpcp");
        province = std::make_unique<Side>(
            backend, label + "_h20", simulator, clock,
            Sender{"000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp", "Đồng Tháp"},
            "secret-of-dong-thap");
    }

    // G22 assigns the seed plan; returns the assignment's DocumentId.
    std::string assign_seed_plan() {
        const std::string document_id =
            document_id_for("000.00.00.G22", vietnam_date(clock.now()), "125", "TB-VPCP");
        AssignmentDocument document;
        document.code_number = "125";
        document.code_notation = "TB-VPCP";
        document.subject = "Giao nhiệm vụ triển khai Quyết định 1012/QĐ-TTg";
        document.tasks = seed_plan_tasks(document_id);
        government->exchange->assign(document);
        return document_id;
    }

    void settle() {
        for (int round = 0; round < 5; ++round) {
            government->run_until_idle();
            province->run_until_idle();
        }
    }

    // Another writer of the province's database (a second daemon, the API server's
    // exchange): its own connection and worker id, the same agency and axis client.
    struct OtherWriter {
        std::unique_ptr<Store> store;
        std::unique_ptr<Exchange> exchange;
    };
    OtherWriter other_province_writer(const std::string& worker_id) {
        OtherWriter writer;
        writer.store = store::open_store(province->url);
        ExchangeSettings settings;
        settings.sender = {"000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp", "Đồng Tháp"};
        settings.worker_id = worker_id;
        writer.exchange =
            std::make_unique<Exchange>(*writer.store, *province->client, clock, settings);
        return writer;
    }
};

inline void expect_chains_intact(Store& store) {
    for (const ChainReport& report : verify_chains(store))
        BOOST_TEST(report.ok, report.chain << ": " << report.problem);
}

// The seed plan goes to the province; every task arrives once, 01 comes back for all of
// them, and the province's reports (05 with progress, then 06) reach the office.
inline void seed_plan_round_trip(const store_backends::Backend& backend) {
    Scenario scenario(backend, "round_trip");
    const std::string document_id = scenario.assign_seed_plan();
    scenario.settle();

    const auto issued = scenario.government->store->tasks_of_document(document_id);
    const auto received = scenario.province->store->tasks_of_document(document_id);
    BOOST_REQUIRE_EQUAL(issued.size(), 13u);
    BOOST_REQUIRE_EQUAL(received.size(), 13u);
    for (const Task& task : issued) {
        BOOST_TEST((task.side == TaskSide::issued));
        BOOST_TEST((task.status.current == edxml::StatusKind::received), task.task_code);
    }
    for (const Task& task : received) {
        BOOST_TEST((task.side == TaskSide::received));
        BOOST_TEST((task.status.current == edxml::StatusKind::received), task.task_code);
    }

    const std::string code = document_id + "#III.3";
    scenario.province->exchange->report(
        {code, edxml::StatusKind::processing, 40, "Đã kết nối thử nghiệm với Trục", std::nullopt});
    scenario.settle();
    auto followed = scenario.government->store->task(code);
    BOOST_REQUIRE(followed.has_value());
    BOOST_TEST((followed->status.current == edxml::StatusKind::processing));
    BOOST_TEST(followed->progress == 40);
    BOOST_TEST(followed->progress_note == "Đã kết nối thử nghiệm với Trục");

    scenario.clock.advance(std::chrono::hours(24));
    scenario.province->exchange->report(
        {code, edxml::StatusKind::completed, std::nullopt, "Hoàn thành", std::nullopt});
    scenario.settle();
    followed = scenario.government->store->task(code);
    BOOST_REQUIRE(followed.has_value());
    BOOST_TEST((followed->status.current == edxml::StatusKind::completed));
    BOOST_TEST(followed->progress == 100);
    BOOST_TEST((followed->completion_date == edxml::Date{2025, 6, 2}));
    const auto events = scenario.government->store->task_events(code);
    BOOST_TEST(events.size() >= 4u);

    // Every package the office sent was acknowledged done by every recipient.
    const auto first = scenario.government->store->messages(0, 1);
    BOOST_REQUIRE(!first.empty());
    const auto delivered = outbound_transport(*scenario.government->store, first[0].sequence);
    BOOST_REQUIRE(delivered.has_value());
    BOOST_TEST((delivered->state == OutboundState::delivered));
    BOOST_TEST(!delivered->knobstick.empty());
    BOOST_TEST(scenario.government->store->messages_in_state("sent", 100).empty());

    // The office takes the assignment back: every task is withdrawn on both sides, and a
    // later status about it is only recorded.
    scenario.government->exchange->revoke(document_id, "Ban hành nhầm");
    scenario.settle();
    for (const auto* side : {scenario.government.get(), scenario.province.get()}) {
        for (const Task& task : side->store->tasks_of_document(document_id))
            BOOST_TEST(task.status.withdrawn, task.task_code);
    }
    const auto revoked = scenario.province->store->task_events(document_id + "#I.1");
    BOOST_TEST(std::count_if(revoked.begin(), revoked.end(),
                             [](const TaskEvent& e) { return e.kind == "revoked"; }) == 1);
    BOOST_CHECK_THROW(
        scenario.province->exchange->report(
            {document_id + "#I.2", edxml::StatusKind::processing, 10, "", std::nullopt}),
        std::invalid_argument);

    expect_chains_intact(*scenario.government->store);
    expect_chains_intact(*scenario.province->store);
}

// With the simulator dropping connections after the work, offering duplicates and
// failing half the time, every task still ends present exactly once on each side.
inline void faults_lose_and_double_nothing(const store_backends::Backend& backend) {
    Scenario scenario(backend, "faults");
    axis_sim::FaultSettings faults;
    faults.seed = 3;
    faults.http_500_rate = 0.2;
    faults.drop_before_rate = 0.1;
    faults.drop_after_rate = 0.2;
    faults.duplicate_rate = 0.5;
    faults.malformed_json_rate = 0.1;
    faults.out_of_order_statuses = true;
    scenario.simulator.set_faults(faults);

    const std::string document_id = scenario.assign_seed_plan();
    scenario.settle();
    for (const char* section : {"#I.1", "#II.4", "#III.3"}) {
        scenario.province->exchange->report(
            {document_id + section, edxml::StatusKind::processing, 50, "", std::nullopt});
    }
    scenario.settle();
    scenario.simulator.set_faults(axis_sim::FaultSettings{});
    scenario.settle();

    const auto issued = scenario.government->store->tasks_of_document(document_id);
    const auto received = scenario.province->store->tasks_of_document(document_id);
    BOOST_TEST(issued.size() == 13u);
    BOOST_TEST(received.size() == 13u);
    for (const Task& task : issued) {
        const bool reported = task.task_code.ends_with("#I.1") ||
                              task.task_code.ends_with("#II.4") ||
                              task.task_code.ends_with("#III.3");
        BOOST_TEST((task.status.current ==
                    (reported ? edxml::StatusKind::processing : edxml::StatusKind::received)),
                   task.task_code);
        BOOST_TEST(task.progress == (reported ? 50 : 0), task.task_code);
        // Each assignment event once, whatever the axis repeated.
        const auto events = scenario.government->store->task_events(task.task_code);
        BOOST_TEST(std::count_if(events.begin(), events.end(),
                                 [](const TaskEvent& e) { return e.kind == "assigned"; }) == 1);
    }
    for (const Task& task : received) {
        const auto events = scenario.province->store->task_events(task.task_code);
        BOOST_TEST(std::count_if(events.begin(), events.end(),
                                 [](const TaskEvent& e) { return e.kind == "assigned"; }) == 1);
    }
    expect_chains_intact(*scenario.government->store);
    expect_chains_intact(*scenario.province->store);
}

// An update (business type 2) moves a task's deadline on the receiving side, keeping its
// status; a replacement (3) withdraws the replaced document's tasks and assigns the new
// document's.
inline void updates_and_replacements_apply_to_tasks(const store_backends::Backend& backend) {
    Scenario scenario(backend, "update_replace");
    const std::string document_id = scenario.assign_seed_plan();
    scenario.settle();
    const Sender office{"000.00.00.G22", "Văn phòng Chính phủ", "Hà Nội"};
    const auto now = vietnam_time(scenario.clock.now());

    AssignmentDocument document;
    document.code_number = "125";
    document.code_notation = "TB-VPCP";
    document.subject = "Điều chỉnh thời hạn";
    document.tasks = seed_plan_tasks(document_id);
    document.tasks[0].due_date = edxml::Date{2026, 3, 31};
    document.tasks[0].due_text = "Quý I năm 2026";
    // An update to several agencies lists their tasks too: the province takes only its own.
    edxml::TaskRecord elsewhere = document.tasks[0];
    elsewhere.task_code = document_id + "#other";
    elsewhere.assignees = {{edxml::AssigneeRole::lead, "000.00.00.H29", "UBND tỉnh Đồng Nai"}};
    document.tasks.push_back(elsewhere);
    edxml::DocumentPackage update = build_assignment(office, document, now);
    update.trace->business->doc_type = static_cast<int>(edxml::BusinessDocType::update);
    // Sent to the province only (this axis has no H29).
    std::erase_if(update.header.to, [](const auto& to) { return to.organ_id == "000.00.00.H29"; });
    BOOST_REQUIRE(
        scenario.government->client
            ->send_edoc({office.code, AxisMessageType::edoc, edxml::write_document(update), ""})
            .ok());
    scenario.settle();
    const auto moved = scenario.province->store->task(document_id + "#I.1");
    BOOST_REQUIRE(moved.has_value());
    BOOST_TEST((moved->due_date == edxml::Date{2026, 3, 31}));
    BOOST_TEST(moved->due_text == "Quý I năm 2026");
    BOOST_TEST((moved->status.current == edxml::StatusKind::received));  // kept
    BOOST_TEST(!scenario.province->store->task(document_id + "#other").has_value());

    const std::string replacement_id = document_id_for(office.code, now.date, "126", "TB-VPCP");
    AssignmentDocument second;
    second.code_number = "126";
    second.code_notation = "TB-VPCP";
    second.subject = "Thay thế";
    second.tasks = seed_plan_tasks(replacement_id);
    second.tasks.resize(2);
    edxml::DocumentPackage replacement = build_assignment(office, second, now);
    replacement.trace->business->doc_type = static_cast<int>(edxml::BusinessDocType::replace);
    replacement.trace->business->replacements.push_back({document_id, {"000.00.14.H20"}});
    BOOST_REQUIRE(scenario.government->client
                      ->send_edoc({office.code, AxisMessageType::edoc,
                                   edxml::write_document(replacement), ""})
                      .ok());
    scenario.settle();
    for (const Task& task : scenario.province->store->tasks_of_document(document_id))
        BOOST_TEST(task.status.withdrawn, task.task_code);
    BOOST_TEST(scenario.province->store->tasks_of_document(replacement_id).size() == 2u);
}

// Điều chỉnh from our side: the office moves a deadline and renames a task it assigned;
// the province's task takes both and keeps its status, the office's too; the package
// goes to that task's lead unit only, and what changes nothing, or names a task of
// another document, or comes after the revocation, is refused before anything is sent.
inline void an_amendment_moves_a_task_on_both_sides(const store_backends::Backend& backend) {
    Scenario scenario(backend, "amend");
    const std::string document_id = scenario.assign_seed_plan();
    scenario.settle();
    const std::string code = document_id + "#I.1";
    const auto before = scenario.province->store->task(code);
    BOOST_REQUIRE(before.has_value());

    TaskAmendment change;
    change.task_code = code;
    change.title = before->title + " (điều chỉnh)";
    change.due = TaskAmendment::Deadline{edxml::Date{2026, 3, 31}, "Quý I năm 2026"};
    Exchange& office = *scenario.government->exchange;
    const std::int64_t sequence = office.amend(document_id, {change}, "Đẩy nhanh tiến độ");
    const auto sent = scenario.government->store->message_without_raw(sequence);
    BOOST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->business_type == 2);
    BOOST_TEST(sent->document_id == document_id);
    scenario.settle();

    for (Store* store : {scenario.government->store.get(), scenario.province->store.get()}) {
        const auto task = store->task(code);
        BOOST_REQUIRE(task.has_value());
        BOOST_TEST(task->title == before->title + " (điều chỉnh)");
        BOOST_TEST((task->due_date == edxml::Date{2026, 3, 31}));
        BOOST_TEST(task->due_text == "Quý I năm 2026");
        BOOST_TEST(task->content == before->content);
        const auto events = store->task_events(code);
        BOOST_TEST(std::count_if(events.begin(), events.end(), [](const TaskEvent& e) {
                       return e.kind == "updated" &&
                              e.detail.find("title changed") != std::string::npos;
                   }) == 1);
    }
    const auto after = scenario.province->store->task(code);
    BOOST_TEST((after->status.current == before->status.current));
    // Every other task of the plan stays as it was.
    for (const Task& task : scenario.province->store->tasks_of_document(document_id))
        if (task.task_code != code)
            BOOST_TEST(task.title.find("(điều chỉnh)") == std::string::npos, task.task_code);

    const std::int64_t head = scenario.government->store->message_head().sequence;
    const auto refused = [&](std::vector<TaskAmendment> changes, const std::string& why) {
        try {
            office.amend(document_id, changes, "");
            BOOST_ERROR("amended: " << why);
        } catch (const std::invalid_argument& error) {
            BOOST_TEST(std::string(error.what()).find(why) != std::string::npos, error.what());
        }
    };
    refused({change}, "changes nothing");
    TaskAmendment foreign = change;
    foreign.task_code = "000.00.00.G22,2026/01/01,1/X#1";
    refused({foreign}, "is not one of ours");
    refused({change, change}, "is named twice");
    refused({}, "at least one task");
    office.revoke(document_id, "Thu hồi");
    change.title = "Lần nữa";
    refused({change}, "is revoked");
    BOOST_TEST(scenario.government->store->message_head().sequence == head + 1);  // the revocation
    expect_chains_intact(*scenario.government->store);
    expect_chains_intact(*scenario.province->store);
}

// A package that claims another sender than the one the axis authenticated is refused:
// here the province's system sends a "revocation from Văn phòng Chính phủ" to one of its
// own departments, and nothing is withdrawn.
inline void a_forged_sender_is_refused(const store_backends::Backend& backend) {
    Scenario scenario(backend, "forged_sender");
    const std::string document_id = scenario.assign_seed_plan();
    scenario.settle();
    const auto original = scenario.government->store->messages(0, 1);
    BOOST_REQUIRE(!original.empty());
    auto read = edxml::read_package(original[0].raw);
    BOOST_REQUIRE(read.ok());
    auto forged = std::get<edxml::DocumentPackage>(*read.package);
    forged.signature.reset();
    forged.attachments.clear();
    forged.manifest.clear();
    forged.has_manifest = false;
    forged.header.to = {forged.header.to.front()};
    forged.trace->business->doc_type = static_cast<int>(edxml::BusinessDocType::revoke);
    const auto sent = scenario.province->client->send_edoc(
        {"000.00.00.H20", AxisMessageType::edoc, edxml::write_document(forged), ""});
    BOOST_REQUIRE_MESSAGE(sent.ok(), (sent.ok() ? std::string() : sent.error().message()));
    const logging::LineCapture log;
    const StepReport polled = scenario.province->exchange->poll(AxisMessageType::edoc);
    BOOST_TEST(polled.failed == 1u);
    BOOST_TEST(!log.find("PACKAGE_REFUSED",
                         "the package says it is from 000.00.00.G22, the axis "
                         "says 000.00.00.H20")
                    .empty(),
               (log.lines().empty() ? std::string() : log.lines().back()));
    scenario.settle();
    for (const Task& task : scenario.province->store->tasks_of_document(document_id))
        BOOST_TEST(!task.status.withdrawn, task.task_code);
}

// With signatures required, an unsigned copy of a document that arrives first is refused
// and does not shut out the signed copy that follows under the same DocumentId; a
// tampered copy is refused too, and nothing of either is applied.
inline void unsigned_copy_first_does_not_shut_out_the_signed_one(
    const store_backends::Backend& backend) {
    Scenario scenario(backend, "signed_after_unsigned");
    const std::string pki = CONNECTOR_TEST_PKI_DIR;
    const auto credentials =
        std::make_shared<const edxml::SigningCredentials>(edxml::SigningCredentials::from_pem(
            pki + "/g22.key", pki + "/g22.pem", pki + "/intermediate.pem",
            edxml::read_passphrase_file(pki + "/passphrase.txt")));
    edxml::TrustOptions trust;
    trust.anchors = {pki + "/anchors"};
    ExchangeSettings settings;
    settings.sender = {"000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp", "Đồng Tháp"};
    settings.worker_id = "strict-h20";
    settings.verifier = std::make_shared<const edxml::Verifier>(trust);
    settings.verify_policy = VerifyPolicy::require;
    Exchange strict(*scenario.province->store, *scenario.province->client, scenario.clock,
                    settings);

    const std::string document_id =
        document_id_for("000.00.00.G22", vietnam_date(scenario.clock.now()), "77", "TB-VPCP");
    AssignmentDocument document;
    document.code_number = "77";
    document.code_notation = "TB-VPCP";
    document.subject = "Giao nhiệm vụ";
    document.tasks = seed_plan_tasks(document_id);
    const std::string unsigned_bytes =
        edxml::write_document(build_assignment({"000.00.00.G22", "Văn phòng Chính phủ", "Hà Nội"},
                                               document, vietnam_time(scenario.clock.now())));
    const std::string signed_bytes = edxml::sign_package(unsigned_bytes, *credentials);
    std::string tampered = signed_bytes;
    tampered.replace(tampered.find("Giao nhiệm vụ"), 4, "Thu ");

    for (const std::string* bytes :
         std::initializer_list<const std::string*>{&unsigned_bytes, &tampered, &signed_bytes}) {
        const auto sent = scenario.government->client->send_edoc(
            {"000.00.00.G22", AxisMessageType::edoc, *bytes, ""});
        BOOST_REQUIRE(sent.ok());
        const StepReport polled = strict.poll(AxisMessageType::edoc);
        strict.apply_pending();
        if (bytes != &signed_bytes) {
            BOOST_TEST(polled.failed >= 1u);
            BOOST_TEST(scenario.province->store->tasks_of_document(document_id).empty());
        }
    }
    BOOST_TEST(scenario.province->store->tasks_of_document(document_id).size() == 13u);
    BOOST_TEST(
        scenario.province->store->messages_by_document(Direction::inbound, "edoc", document_id)
            .size() >= 3u);
}

// A package a recipient refuses (here: unsigned, to a province that requires
// signatures) ends `delivery_failed` at the sender, and each of its tasks records it:
// the backend learns it from the change feed.
inline void a_refused_delivery_reaches_the_feed(const store_backends::Backend& backend) {
    Scenario scenario(backend, "delivery_failed");
    ExchangeSettings settings;
    settings.sender = {"000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp", "Đồng Tháp"};
    settings.worker_id = "strict-h20";
    edxml::TrustOptions trust;
    trust.anchors = {std::string(CONNECTOR_TEST_PKI_DIR) + "/anchors"};
    settings.verifier = std::make_shared<const edxml::Verifier>(trust);
    settings.verify_policy = VerifyPolicy::require;
    Exchange strict(*scenario.province->store, *scenario.province->client, scenario.clock,
                    settings);
    const std::string document_id = scenario.assign_seed_plan();
    BOOST_TEST(scenario.government->exchange->send_pending().done == 1u);
    BOOST_TEST(strict.poll(AxisMessageType::edoc).failed >= 1u);
    const StepReport tracked = scenario.government->exchange->track_deliveries();
    BOOST_TEST(tracked.failed == 1u);
    const auto tasks = scenario.government->store->tasks_of_document(document_id);
    BOOST_REQUIRE_EQUAL(tasks.size(), 13u);
    std::size_t failures = 0;
    for (const auto& event : scenario.government->store->backend_events(0, 1000))
        failures += event.kind == "task.delivery_failed";
    BOOST_TEST(failures == tasks.size());
    const auto history = scenario.government->store->task_events(tasks.front().task_code);
    BOOST_TEST(history.back().kind == "delivery_failed");
    BOOST_TEST(history.back().detail.find("not delivered to 000.00.") == 0u, history.back().detail);
}

// Issue 12 scenarios: who signed, a log row written around the store, concurrent writers.

inline std::shared_ptr<const edxml::SigningCredentials> test_signer(const std::string& name) {
    const std::string pki = CONNECTOR_TEST_PKI_DIR;
    return std::make_shared<const edxml::SigningCredentials>(edxml::SigningCredentials::from_pem(
        pki + "/" + name + ".key", pki + "/" + name + ".pem", pki + "/intermediate.pem",
        name == "g22" ? edxml::read_passphrase_file(pki + "/passphrase.txt") : ""));
}

// The province's daemon as configured in production: signatures verified against the
// test PKI's root, under `policy`.
inline std::unique_ptr<Exchange> verifying_province(Scenario& scenario, VerifyPolicy policy) {
    edxml::TrustOptions trust;
    trust.anchors = {std::string(CONNECTOR_TEST_PKI_DIR) + "/anchors"};
    ExchangeSettings settings;
    settings.sender = {"000.00.00.H20", "Ủy ban nhân dân tỉnh Đồng Tháp", "Đồng Tháp"};
    settings.worker_id = "verifying-h20";
    settings.verifier = std::make_shared<const edxml::Verifier>(trust);
    settings.verify_policy = policy;
    return std::make_unique<Exchange>(*scenario.province->store, *scenario.province->client,
                                      scenario.clock, settings);
}

// An assignment that says it is from G22, signed with `signer`'s certificate, sent
// through the axis by G22's system; returns its DocumentId.
inline std::string send_assignment_signed_by(Scenario& scenario, const std::string& signer,
                                             const std::string& number) {
    const std::string document_id =
        document_id_for("000.00.00.G22", vietnam_date(scenario.clock.now()), number, "TB-VPCP");
    AssignmentDocument document;
    document.code_number = number;
    document.code_notation = "TB-VPCP";
    document.subject = "Giao nhiệm vụ";
    document.tasks = seed_plan_tasks(document_id);
    const std::string bytes = edxml::sign_package(
        edxml::write_document(build_assignment({"000.00.00.G22", "Văn phòng Chính phủ", "Hà Nội"},
                                               document, vietnam_time(scenario.clock.now()))),
        *test_signer(signer));
    const auto sent =
        scenario.government->client->send_edoc({"000.00.00.G22", AxisMessageType::edoc, bytes, ""});
    BOOST_REQUIRE_MESSAGE(sent.ok(), (sent.ok() ? std::string() : sent.error().message()));
    return document_id;
}

inline MessageEntry logged_inbound(Store& store, const std::string& document_id) {
    const auto sequences = store.messages_by_document(Direction::inbound, "edoc", document_id);
    BOOST_REQUIRE(!sequences.empty());
    return store.messages(sequences.back() - 1, 1).front();
}

// Reproduction: a package whose From is G22, signed with the H20 test certificate and
// sent through the axis as G22, was stored as `valid` at H20 and its tasks created.
inline void a_valid_signature_by_another_agency_is_refused(const store_backends::Backend& backend) {
    Scenario scenario(backend, "wrong_signer");
    const auto strict = verifying_province(scenario, VerifyPolicy::require);
    const std::string document_id = send_assignment_signed_by(scenario, "h20", "91");
    // One copy per agency of the province's system that the plan names.
    std::optional<logging::LineCapture> log(std::in_place);
    const StepReport polled = strict->poll(AxisMessageType::edoc);
    BOOST_TEST(polled.failed >= 1u);
    BOOST_TEST(polled.done == 0u);
    BOOST_REQUIRE(!log->lines(logging::Level::warning).empty());
    BOOST_TEST(!log->find("PACKAGE_REFUSED",
                          "its certificate is 000.00.00.H20's, not the "
                          "sender 000.00.00.G22's")
                    .empty(),
               log->lines(logging::Level::warning).back());
    const MessageEntry logged = logged_inbound(*scenario.province->store, document_id);
    BOOST_TEST(logged.signature_verdict == "wrong_signer");
    BOOST_TEST(logged.signer_agency == "000.00.00.H20");
    BOOST_TEST(logged.signer.find("CN=000.00.00.H20") != std::string::npos, logged.signer);
    strict->apply_pending();
    BOOST_TEST(scenario.province->store->tasks_of_document(document_id).empty());

    // Under `verify` the package is flagged (verdict kept, a problem reported), not refused.
    const auto lenient = verifying_province(scenario, VerifyPolicy::verify);
    const std::string flagged_id = send_assignment_signed_by(scenario, "h20", "92");
    log.emplace();
    lenient->poll(AxisMessageType::edoc);
    BOOST_TEST(!log->find("SIGNATURE_NOT_VALID", "verdict=wrong_signer").empty());
    log.reset();
    BOOST_TEST(logged_inbound(*scenario.province->store, flagged_id).signature_verdict ==
               "wrong_signer");

    // G22's own certificate: valid, applied.
    const std::string genuine_id = send_assignment_signed_by(scenario, "g22", "93");
    BOOST_TEST(strict->poll(AxisMessageType::edoc).done >= 1u);
    strict->apply_pending();
    BOOST_TEST(logged_inbound(*scenario.province->store, genuine_id).signer_agency ==
               "000.00.00.G22");
    BOOST_TEST(scenario.province->store->tasks_of_document(genuine_id).size() == 13u);
    expect_chains_intact(*scenario.province->store);
}

// Reproduction: when the axis listing has no `from`, the sender was taken from the
// package itself and the check compared the package with itself. Now the package's
// claim must match its signer.
inline void a_listing_without_sender_holds_the_package_to_its_signer(
    const store_backends::Backend& backend) {
    axis_sim::SimulatorConfig axis = two_systems();
    axis.lists_without_sender = true;
    Scenario scenario(backend, "no_sender_in_list", axis);
    const auto strict = verifying_province(scenario, VerifyPolicy::require);
    const std::string forged_id = send_assignment_signed_by(scenario, "h20", "94");
    const StepReport polled = strict->poll(AxisMessageType::edoc);
    BOOST_TEST(polled.failed >= 1u);
    BOOST_TEST(polled.done == 0u);
    const MessageEntry logged = logged_inbound(*scenario.province->store, forged_id);
    BOOST_TEST(logged.from_agency == "000.00.00.G22");  // the package's word, held to the signer
    BOOST_TEST(logged.signature_verdict == "wrong_signer");
    strict->apply_pending();
    BOOST_TEST(scenario.province->store->tasks_of_document(forged_id).empty());

    const std::string genuine_id = send_assignment_signed_by(scenario, "g22", "95");
    BOOST_TEST(strict->poll(AxisMessageType::edoc).done >= 1u);
    strict->apply_pending();
    BOOST_TEST(scenario.province->store->tasks_of_document(genuine_id).size() == 13u);
}

// Reproduction: a row past the stored head was read by the poll's duplicate check, so a
// forged row with an upcoming knobstick id made the daemon acknowledge a real package
// without fetching it. Now the row is no entry of the log: the package is fetched, the
// append collides with the forged row and stops the pass loudly, the axis still offers
// the package, and verify-chain names the row.
inline void a_row_past_the_head_does_not_swallow_a_package(const store_backends::Backend& backend) {
    Scenario scenario(backend, "forged_row");
    const std::string document_id = scenario.assign_seed_plan();
    BOOST_REQUIRE(scenario.government->exchange->send_pending().done == 1u);
    // One knobstick per agency of the province's system that the plan names.
    const auto listed = scenario.province->client->received_list(AxisMessageType::edoc, {});
    BOOST_REQUIRE(listed.ok());
    BOOST_REQUIRE(!listed.value().empty());
    const std::string knobstick = listed.value().front().doc_id;
    Store& store = *scenario.province->store;
    const ChainHead head = store.message_head();
    {
        soci::session raw = store_backends::raw_session(scenario.province->url);
        const long long sequence = head.sequence + 1;
        raw << "INSERT INTO messages (sequence, direction, kind, business_type, document_id, "
               "knobstick_id, from_agency, to_agencies, status_code, subject, raw_base64, "
               "raw_sha256, raw_size, signature_verdict, signer, recorded_at, prev_hash, "
               "entry_hash) VALUES (:sequence, 'inbound', 'edoc', 0, :document, :knobstick, "
               "'000.00.00.G22', '', '', 'forged', '', '', 0, 'valid', '', "
               "'2025-06-01T02:00:00.000Z', :prev, :hash)",
            soci::use(sequence), soci::use(document_id), soci::use(knobstick), soci::use(head.hash),
            soci::use(head.hash);
        raw << "INSERT INTO message_transport (sequence, state, updated_at) VALUES (:sequence, "
               "'duplicate', '2025-06-01T02:00:00.000Z')",
            soci::use(sequence);
    }
    BOOST_CHECK_THROW(scenario.province->exchange->poll(AxisMessageType::edoc), connector::Error);
    const auto still = scenario.province->client->received_list(AxisMessageType::edoc, {});
    BOOST_REQUIRE(still.ok());
    BOOST_TEST(still.value().size() == listed.value().size());  // none acknowledged
    bool forged_still_offered = false;
    for (const AxisKnobstick& offered : still.value())
        forged_still_offered = forged_still_offered || offered.doc_id == knobstick;
    BOOST_TEST(forged_still_offered);
    const ChainReport report = verify_chains(store).front();
    BOOST_TEST(!report.ok);
    BOOST_TEST(report.first_bad_sequence == head.sequence + 1);
    BOOST_TEST(report.problem.find("past the chain head") != std::string::npos, report.problem);
}

// Reproduction: the API server and the poll loop write the same tasks over separate
// connections; each read a task outside a transaction and overwrote every column. Here
// the API's connection reports progress on all 13 tasks, round after round, while the
// loop applies G22's 13 (take back) requests to the same tasks: both writers' changes
// must survive, and the status never moves backwards.
inline void concurrent_reports_and_statuses_lose_nothing(const store_backends::Backend& backend) {
    Scenario scenario(backend, "concurrent_writers");
    const std::string document_id = scenario.assign_seed_plan();
    scenario.settle();
    const auto tasks = scenario.province->store->tasks_of_document(document_id);
    BOOST_REQUIRE_EQUAL(tasks.size(), 13u);
    // One 13 per lead unit covers all its tasks of the document; the others are refused.
    for (const Task& task : scenario.government->store->tasks_of_document(document_id)) {
        try {
            scenario.government->exchange->send_status(task.task_code,
                                                       edxml::StatusKind::take_back_request, "");
        } catch (const std::invalid_argument&) {
        }
    }
    BOOST_REQUIRE(scenario.government->exchange->send_pending().done >= 1u);
    BOOST_REQUIRE(scenario.province->exchange->poll(AxisMessageType::status).done >= 1u);

    // The API server's own connection and exchange.
    auto api_writer = scenario.other_province_writer("api");
    Exchange& api = *api_writer.exchange;
    constexpr int kRounds = 6;
    std::vector<std::string> api_errors;
    std::thread reporter([&] {
        try {
            for (int round = 1; round <= kRounds; ++round) {
                for (const Task& task : tasks) {
                    ReportRequest request;
                    request.task_code = task.task_code;
                    if (round == 1)
                        request.status = edxml::StatusKind::processing;
                    request.progress = round * 15;
                    api.report(request);
                }
            }
        } catch (const std::exception& error) {
            api_errors.push_back(error.what());
        }
    });
    StepReport applied;
    for (int pass = 0; pass < 20 && scenario.province->store->pending_count(WorkQueue::inbox) > 0;
         ++pass) {
        const StepReport step = scenario.province->exchange->apply_pending();
        applied.done += step.done;
    }
    reporter.join();
    BOOST_TEST(api_errors.empty(), (api_errors.empty() ? "" : api_errors.front()));
    BOOST_TEST(applied.done >= 1u);
    for (const Task& task : tasks) {
        const Task now = *scenario.province->store->task(task.task_code);
        BOOST_TEST(now.status.take_back_requested, task.task_code << ": the 13 was lost");
        BOOST_TEST(now.progress == kRounds * 15, task.task_code << ": a report was lost");
        BOOST_TEST((now.status.current == edxml::StatusKind::processing),
                   task.task_code << ": the status moved");
        BOOST_TEST(now.version >= 1 + kRounds + 1);
    }
}

// The daemon's checkpointer signs where each chain stands, into a file outside the
// database and into the store; it will not sign a chain rewritten at its last
// checkpoint, nor start over when the file lost the checkpoints the store has.
inline void checkpoints_are_signed_and_refuse_a_rewritten_chain(
    const store_backends::Backend& backend) {
    Scenario scenario(backend, "checkpointer");
    scenario.assign_seed_plan();
    scenario.settle();
    Store& store = *scenario.province->store;
    const std::string pki = CONNECTOR_TEST_PKI_DIR;
    const auto file = std::filesystem::path(CONNECTOR_BINARY_DIR) / "test-tmp" /
                      ("checkpoints-" + backend.name + ".log");
    std::filesystem::create_directories(file.parent_path());
    std::filesystem::remove(file);
    const auto now = std::chrono::system_clock::now();
    ChainCheckpointer checkpointer(test_signer("h20"), file.string(), 1000,
                                   std::chrono::seconds(3600));
    BOOST_TEST(checkpointer.maybe_checkpoint(store, now).empty());  // not due yet
    const auto written = checkpointer.maybe_checkpoint(store, now, true);
    BOOST_REQUIRE_EQUAL(written.size(), 1u);  // the audit chain is empty: nothing to sign
    BOOST_TEST(written.front().sequence == store.message_head().sequence);
    const auto in_file = read_checkpoint_file(file.string());
    BOOST_REQUIRE_EQUAL(in_file.size(), 1u);
    BOOST_TEST(checkpoint_signature_holds(in_file.front(), pki + "/h20.pem"));
    BOOST_TEST(!checkpoint_signature_holds(in_file.front(), pki + "/g22.pem"));
    ChainCheckpoint forged = in_file.front();
    forged.sequence -= 1;
    BOOST_TEST(!checkpoint_signature_holds(forged, pki + "/h20.pem"));
    BOOST_TEST(store.checkpoints("messages").size() == 1u);
    ChainExpectations expectations;
    expectations.checkpoints = in_file;
    BOOST_TEST(verify_chains(store, expectations).front().ok);

    // The checkpointed entry rewritten, with a hash that fits its new content and the
    // head moved to match: the next checkpoint is refused.
    const std::int64_t last = in_file.front().sequence;
    {
        MessageEntry entry = store.messages(last - 1, 1).front();
        entry.subject = "Đã sửa";
        entry.entry_hash = chain_hash(entry.prev_hash, entry);
        soci::session raw = store_backends::raw_session(scenario.province->url);
        const long long sequence = last;
        raw << "UPDATE messages SET subject = :subject, entry_hash = :hash WHERE sequence = :s",
            soci::use(entry.subject), soci::use(entry.entry_hash), soci::use(sequence);
        raw << "UPDATE chain_heads SET hash = :hash WHERE chain = 'messages'",
            soci::use(entry.entry_hash);
    }
    BOOST_TEST(verify_chains(store).front().ok);  // the walk alone cannot see it
    scenario.province->exchange->report({scenario.province->store->tasks("", 1).front().task_code,
                                         std::nullopt, 40, "", std::nullopt});
    BOOST_CHECK_EXCEPTION(
        checkpointer.maybe_checkpoint(store, now + std::chrono::hours(2)), PermanentError,
        [](const PermanentError& error) {
            return std::string(error.what()).find("differs from the last checkpoint") !=
                   std::string::npos;
        });
    BOOST_TEST(read_checkpoint_file(file.string()).size() == 1u);  // nothing signed

    // A new run whose checkpoint file is gone refuses to start the file over.
    std::filesystem::remove(file);
    ChainCheckpointer restarted(test_signer("h20"), file.string(), 1, std::chrono::seconds(1));
    BOOST_CHECK_EXCEPTION(
        restarted.maybe_checkpoint(store, now, true), PermanentError,
        [](const PermanentError& error) {
            return std::string(error.what()).find("the file was removed or replaced") !=
                   std::string::npos;
        });
}

// Issue 14: with two daemons of one agency on one database, a package was lost for good.
// Daemon B fetched a knobstick; daemon A logged the same one and died before queueing
// it; B then logged a second copy, took it for a `duplicate` of A's and acknowledged
// `done`: A's copy stayed without state or inbox item, and nothing ever applied it. The
// knobstick is now a unique key: B's copy is refused, and B settles A's. (The poll lease
// keeps two daemons from polling at once; this is what happens when one outlives it.)
inline void a_package_logged_by_a_daemon_that_died_is_applied_by_the_other(
    const store_backends::Backend& backend) {
    Scenario scenario(backend, "died_after_logging");
    const std::string document_id = scenario.assign_seed_plan();
    BOOST_REQUIRE(scenario.government->exchange->send_pending().done >= 1u);
    // Daemon A: the province's database and agency, its own connection and worker id.
    auto a_writer = scenario.other_province_writer("h20-a");
    Exchange& a = *a_writer.exchange;
    struct Died {};
    bool b_fetched = false, a_died = false;
    set_crash_point_hook([&](const char* name) {
        const std::string point = name;
        if (point == "inbound.fetched" && !b_fetched) {
            // B holds the bytes, and its poll lease has run out meanwhile (a slow axis):
            // A takes the poll over, logs the same knobstick, and dies.
            b_fetched = true;
            BOOST_REQUIRE(a_writer.store->hold_lease("poll.edoc", "died_after_logging_h20",
                                                     -std::chrono::minutes(1)));
            try {
                a.poll(AxisMessageType::edoc);
            } catch (const Died&) {
            }
        } else if (point == "inbound.stored" && b_fetched && !a_died) {
            a_died = true;
            throw Died{};
        }
    });
    struct Unhook {
        ~Unhook() { set_crash_point_hook({}); }
    } unhook;
    const logging::LineCapture log;
    const StepReport polled = scenario.province->exchange->poll(AxisMessageType::edoc);
    set_crash_point_hook({});
    BOOST_REQUIRE(a_died);
    const auto troubles = log.lines(logging::Level::warning);
    BOOST_TEST(troubles.empty(), (troubles.empty() ? "" : troubles.front()));
    BOOST_TEST(polled.duplicates >= 1u);  // B settled A's copy
    scenario.settle();

    // The simulator delivers the document under several knobsticks: each is logged once,
    // the first (A's) is applied, the others are duplicates of it.
    std::set<std::string> knobsticks;
    std::vector<MessageEntry> copies;
    for (MessageEntry& entry : scenario.province->store->messages(0, 1000))
        if (entry.direction == Direction::inbound && entry.kind == "edoc" &&
            entry.document_id == document_id) {
            knobsticks.insert(entry.knobstick_id);
            copies.push_back(std::move(entry));
        }
    BOOST_REQUIRE(!copies.empty());
    BOOST_TEST(knobsticks.size() == copies.size());
    BOOST_TEST((inbound_transport(*scenario.province->store, copies.front().sequence)->state ==
                InboundState::applied));
    BOOST_TEST(scenario.province->store->tasks_of_document(document_id).size() == 13u);
    BOOST_TEST(scenario.province->store->pending_count(WorkQueue::inbox) == 0);
    // G22 got the province's 01 for its tasks: the assignment was applied, not dropped.
    for (const Task& task : scenario.government->store->tasks_of_document(document_id))
        BOOST_TEST((task.status.current == edxml::StatusKind::received), task.task_code);
    expect_chains_intact(*scenario.province->store);
}

// Issue 14: reports sent at the same moment through two daemons of one database got the
// same DocumentId (the log head + 1), and the receiver dropped the second as a
// duplicate. Numbers now come from the store's counter, unique across its writers.
inline void reports_from_two_daemons_get_distinct_numbers(const store_backends::Backend& backend) {
    Scenario scenario(backend, "two_reporters");
    const std::string document_id = scenario.assign_seed_plan();
    scenario.settle();
    const auto tasks = scenario.province->store->tasks_of_document(document_id);
    BOOST_REQUIRE_EQUAL(tasks.size(), 13u);
    auto other_writer = scenario.other_province_writer("h20-b");
    Exchange& other = *other_writer.exchange;
    std::vector<std::string> errors;
    std::mutex errors_mutex;
    const auto report_all = [&](Exchange& exchange, int progress) {
        try {
            for (const Task& task : tasks) {
                ReportRequest request;
                request.task_code = task.task_code;
                request.progress = progress;
                request.note = "tiến độ " + std::to_string(progress);
                for (int attempt = 0;; ++attempt) {
                    try {
                        exchange.report(request);
                        break;
                    } catch (const ConflictError&) {
                        if (attempt > 20)
                            throw;
                    }
                }
            }
        } catch (const std::exception& error) {
            std::lock_guard lock(errors_mutex);
            errors.push_back(error.what());
        }
    };
    std::thread first([&] { report_all(*scenario.province->exchange, 40); });
    std::thread second([&] { report_all(other, 50); });
    first.join();
    second.join();
    BOOST_TEST(errors.empty(), (errors.empty() ? "" : errors.front()));
    std::set<std::string> numbers;
    std::size_t reports = 0;
    for (const MessageEntry& entry : scenario.province->store->messages(0, 1000))
        if (entry.direction == Direction::outbound && entry.kind == "edoc") {
            ++reports;
            numbers.insert(entry.document_id);
        }
    BOOST_TEST(reports == 26u);
    BOOST_TEST(numbers.size() == 26u);
    scenario.settle();
    std::size_t received = 0;
    for (const MessageEntry& entry : scenario.government->store->messages(0, 1000))
        received += entry.direction == Direction::inbound && entry.kind == "edoc" &&
                    inbound_transport(*scenario.government->store, entry.sequence)->state ==
                        InboundState::applied;
    BOOST_TEST(received == 26u);
}

// Issue 14: two daemons of one database both polled the axis: 83 of 120 knobsticks were
// fetched and logged twice. The poll of each message type now takes turns under a lease:
// while another daemon holds it, this one does not fetch; once it is free (released, or
// its holder died and its time passed), this one polls.
inline void the_poll_takes_turns_under_a_lease(const store_backends::Backend& backend) {
    Scenario scenario(backend, "poll_lease");
    const std::string document_id = scenario.assign_seed_plan();
    BOOST_REQUIRE(scenario.government->exchange->send_pending().done >= 1u);
    Store& store = *scenario.province->store;
    BOOST_REQUIRE(store.hold_lease("poll.edoc", "another-daemon", std::chrono::minutes(1)));
    const StepReport held = scenario.province->exchange->poll(AxisMessageType::edoc);
    BOOST_TEST(held.done + held.duplicates + held.failed == 0u);
    BOOST_TEST(store.message_head().sequence == 0);
    // The holder died: its time passes (here: a lease that ended a minute ago).
    BOOST_REQUIRE(store.hold_lease("poll.edoc", "another-daemon", -std::chrono::minutes(1)));
    const StepReport polled = scenario.province->exchange->poll(AxisMessageType::edoc);
    BOOST_TEST(polled.done == 1u);
    // Released at the end of the pass: the other daemon may take its turn at once.
    BOOST_TEST(store.hold_lease("poll.edoc", "another-daemon", std::chrono::minutes(1)));
    store.release_lease("poll.edoc", "another-daemon");
    scenario.settle();
    BOOST_TEST(store.tasks_of_document(document_id).size() == 13u);
}

// Issue 14: a task sent to a well-formed but unknown agency was answered 202, the axis
// refused it for good, and nobody was told: no event, nothing in the task's history.
// The same when retries ran out. Both now reach the task's history and the change feed
// (task.delivery_failed, which the webhooks carry), naming why.
inline void a_package_that_cannot_be_sent_reaches_the_feed(const store_backends::Backend& backend) {
    Scenario scenario(backend, "not_sent");
    const auto assign_to = [&](const std::string& number, const std::string& lead) {
        AssignmentDocument document;
        document.code_number = number;
        document.code_notation = "TB-VPCP";
        document.subject = "Giao nhiệm vụ";
        edxml::TaskRecord task;
        task.task_code = document_id_for("000.00.00.G22", vietnam_date(scenario.clock.now()),
                                         number, "TB-VPCP") +
                         "#1";
        task.title = "Báo cáo tình hình";
        task.assignees = {{edxml::AssigneeRole::lead, lead, "Đơn vị"}};
        document.tasks = {task};
        scenario.government->exchange->assign(document);
        return task.task_code;
    };
    const auto failure_of = [&](const std::string& code) -> std::string {
        std::size_t events = 0;
        for (const auto& event : scenario.government->store->backend_events(0, 1000))
            events += event.kind == "task.delivery_failed" && event.task_code == code;
        const auto history = scenario.government->store->task_events(code);
        if (events != 1 || history.empty() || history.back().kind != "delivery_failed")
            return "no failure event (" + std::to_string(events) + ")";
        return history.back().detail;
    };

    // Refused for good: an agency code of the right shape that the axis does not know.
    const std::string unknown = assign_to("201", "000.00.99.H99");
    const StepReport refused = scenario.government->exchange->send_pending();
    BOOST_TEST(refused.failed == 1u);
    BOOST_TEST(failure_of(unknown).find("not sent: the axis refused it:") == 0u,
               failure_of(unknown));
    BOOST_TEST(failure_of(unknown).find("000.00.99.H99") != std::string::npos);

    // Retries run out: the axis answers 500 to every send.
    ExchangeSettings settings;
    settings.sender = {"000.00.00.G22", "Văn phòng Chính phủ", "Hà Nội"};
    settings.worker_id = "g22-impatient";
    settings.retry.base = settings.retry.cap = std::chrono::milliseconds(0);
    settings.retry.max_attempts = 2;
    settings.breaker.threshold = 1000;
    Exchange impatient(*scenario.government->store, *scenario.government->client, scenario.clock,
                       settings);
    const std::string flaky = assign_to("202", "000.00.00.H20");
    axis_sim::FaultSettings faults;
    faults.http_500_rate = 1;
    faults.operations = {"sendEdoc"};
    scenario.simulator.set_faults(faults);
    for (int pass = 0; pass < 5 && scenario.government->store->pending_count(WorkQueue::outbox) > 0;
         ++pass)
        impatient.send_pending();
    scenario.simulator.set_faults({});
    BOOST_TEST(scenario.government->store->pending_count(WorkQueue::outbox) == 0);
    BOOST_TEST(failure_of(flaky).find("not sent: 2 attempts failed, the last:") == 0u,
               failure_of(flaky));
}

// Issue 14: a package the axis never delivers stayed `sent` for ever, asked about at
// every poll, and nobody was told. Past the delivery deadline it is now `undelivered`,
// no longer asked about, and the tasks it was about get task.delivery_failed.
inline void an_undelivered_package_is_given_up_and_told(const store_backends::Backend& backend) {
    Scenario scenario(backend, "undelivered");
    const std::string document_id = scenario.assign_seed_plan();
    BOOST_REQUIRE(scenario.government->exchange->send_pending().done == 1u);
    // The province never fetches it. Within the deadline, it is still asked about.
    BOOST_TEST(scenario.government->exchange->track_deliveries().failed == 0u);
    BOOST_REQUIRE_EQUAL(scenario.government->store->messages_in_state("sent", 10).size(), 1u);
    // Three days and a minute after it was sent (the states carry the store's clock).
    scenario.clock.set(std::chrono::system_clock::now() + std::chrono::hours(72) +
                       std::chrono::minutes(1));
    const StepReport tracked = scenario.government->exchange->track_deliveries();
    BOOST_TEST(tracked.failed == 1u);
    BOOST_TEST(scenario.government->store->messages_in_state("sent", 10).empty());
    const auto given_up = scenario.government->store->messages_in_state("undelivered", 10);
    BOOST_REQUIRE_EQUAL(given_up.size(), 1u);
    BOOST_TEST(given_up[0].reason.find("no acknowledgement within 259200 s") != std::string::npos,
               given_up[0].reason);
    BOOST_TEST(!given_up[0].knobstick.empty());
    const auto tasks = scenario.government->store->tasks_of_document(document_id);
    BOOST_REQUIRE_EQUAL(tasks.size(), 13u);
    std::size_t told = 0;
    for (const auto& event : scenario.government->store->backend_events(0, 1000))
        told += event.kind == "task.delivery_failed" &&
                event.detail.find("no acknowledgement within 259200 s") != std::string::npos;
    BOOST_TEST(told == tasks.size());
    BOOST_TEST(scenario.government->exchange->track_deliveries().failed == 0u);  // once
}

}  // namespace exchange_scenarios

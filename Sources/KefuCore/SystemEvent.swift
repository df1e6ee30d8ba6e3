import Foundation

/// What a system message in a conversation's history records, as a value.
///
/// The stored text is the wire format: it is what the agents' WebSocket frames carry and what
/// every earlier version of Kefu wrote, so `storedText` writes exactly that and
/// `init(storedText:)` reads every form ever stored ("status:resolved assignee:ID",
/// "assignee:none", "mail:failed OUTBOX_ID reason"). Text it does not recognise is kept as
/// `unknown`, never dropped.
public enum SystemEvent: Sendable, Equatable {
    /// The conversation's status and/or assignee changed (`.some(nil)`: unassigned).
    case changed(status: ConversationStatus?, assignee: AgentID??)
    /// The relay refused an agent's reply by mail, or Kefu gave up retrying it.
    case mailFailed(outboxId: String, reason: String)
    /// A channel other than mail refused an agent's reply for good (the customer blocked the
    /// bot, the chat is gone), or Kefu gave up retrying it.
    case deliveryFailed(outboxId: String, reason: String)
    /// The customer edited a message on their channel: the new text, beside the original
    /// (which the history keeps as it was).
    case edited(message: MessageID, text: String)
    /// A response target was missed; the policy may have raised the priority.
    case slaBreached(metric: SLAMetric, raisedTo: ConversationPriority?)
    /// The customer was asked how it went (the widget shows the survey here).
    case surveyRequested(SurveyID)
    /// The customer answered: their rating, 1 to 5.
    case surveyAnswered(rating: Int)
    /// A recovery phrase or private key was taken out of the customer's message before it was
    /// stored (agents see the warning; the secret itself was never kept).
    case secretRedacted(kinds: [SecretKind])
    /// A system message this version cannot read (shown as it is).
    case unknown(String)

    /// The longest failure reason kept in the history.
    public static let reasonLength = 300

    public init(storedText text: String) {
        for (prefix, make) in [("delivery:failed ", Self.deliveryFailed), ("edited ", Self.editedEvent)] where text.hasPrefix(prefix) {
            let parts = text.dropFirst(prefix.count).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            self = make(parts[0], parts.count > 1 ? parts[1] : "")
            return
        }
        if text.hasPrefix("csat:requested "), let id = SurveyID(validating: String(text.dropFirst(15))) {
            self = .surveyRequested(id)
            return
        }
        if text.hasPrefix("csat:answered "), let rating = Int(text.dropFirst(14)), SurveyAnswer.ratings.contains(rating) {
            self = .surveyAnswered(rating: rating)
            return
        }
        if text.hasPrefix("secret:redacted ") {
            let kinds = text.dropFirst(16).split(separator: ",").map { SecretKind(rawValue: String($0)) }
            if !kinds.isEmpty, !kinds.contains(nil) {
                self = .secretRedacted(kinds: kinds.compactMap { $0 })
            } else {
                self = .unknown(text)
            }
            return
        }
        if text.hasPrefix("sla:breached ") {
            let parts = text.split(separator: " ").map(String.init)
            let raised = parts.count > 2 && parts[2].hasPrefix("priority:") ? ConversationPriority(rawValue: String(parts[2].dropFirst(9))) : nil
            if let metric = parts.count > 1 ? SLAMetric(rawValue: parts[1]) : nil, parts.count == 2 || raised != nil {
                self = .slaBreached(metric: metric, raisedTo: raised)
            } else {
                self = .unknown(text)
            }
            return
        }
        if text.hasPrefix("mail:failed ") {
            let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            self = .mailFailed(outboxId: parts.count > 1 ? parts[1] : "", reason: parts.count > 2 ? parts[2] : "")
            return
        }
        var status: ConversationStatus?
        var assignee: AgentID??
        for part in text.split(separator: " ") {
            let pieces = part.split(separator: ":", maxSplits: 1).map(String.init)
            switch (pieces.first, pieces.count) {
            case ("status", 2) where status == nil:
                guard let value = ConversationStatus(rawValue: pieces[1]) else { self = .unknown(text); return }
                status = value
            case ("assignee", 2) where assignee == nil:
                if pieces[1] == "none" {
                    assignee = .some(nil)
                } else if let id = AgentID(validating: pieces[1]) {
                    assignee = .some(id)
                } else {
                    self = .unknown(text)
                    return
                }
            default:
                self = .unknown(text)
                return
            }
        }
        guard status != nil || assignee != nil else { self = .unknown(text); return }
        self = .changed(status: status, assignee: assignee)
    }

    /// The text stored for this event (and sent in frames).
    public var storedText: String {
        switch self {
        case .changed(let status, let assignee):
            var parts: [String] = []
            if let status { parts.append("status:\(status.rawValue)") }
            if let assignee { parts.append("assignee:\(assignee?.rawValue ?? "none")") }
            return parts.joined(separator: " ")
        case .mailFailed(let outboxId, let reason):
            return "mail:failed \(outboxId) \(reason.prefix(Self.reasonLength))"
        case .deliveryFailed(let outboxId, let reason):
            return "delivery:failed \(outboxId) \(reason.prefix(Self.reasonLength))"
        case .edited(let message, let text):
            return "edited \(message.rawValue) \(text)"
        case .slaBreached(let metric, let raised):
            return "sla:breached \(metric.rawValue)" + (raised.map { " priority:\($0.rawValue)" } ?? "")
        case .surveyRequested(let id):
            return "csat:requested \(id.rawValue)"
        case .surveyAnswered(let rating):
            return "csat:answered \(rating)"
        case .secretRedacted(let kinds):
            return "secret:redacted " + kinds.sorted().map(\.rawValue).joined(separator: ",")
        case .unknown(let text):
            return text
        }
    }

    private static func editedEvent(_ id: String, _ text: String) -> SystemEvent {
        guard let message = MessageID(validating: id) else { return .unknown("edited \(id) \(text)") }
        return .edited(message: message, text: text)
    }

    /// The history line for a change from `before` to `after`; nil when neither the status nor
    /// the assignee moved (labels and priority changes are audited, not narrated).
    public static func change(
        status before: ConversationStatus, assignee assigneeBefore: AgentID?, to status: ConversationStatus?, assignee: AgentID??
    ) -> SystemEvent? {
        let movedStatus = status.flatMap { $0 == before ? nil : $0 }
        let movedAssignee: AgentID?? = assignee.flatMap { $0 == assigneeBefore ? nil : .some($0) }
        guard movedStatus != nil || movedAssignee != nil else { return nil }
        return .changed(status: movedStatus, assignee: movedAssignee)
    }

    /// The status a customer may learn from this event (they never see assignments or mail trouble).
    public var customerVisibleStatus: ConversationStatus? {
        if case .changed(let status, _) = self { return status }
        return nil
    }
}

extension Message {
    /// What a system message records; nil for every other direction.
    public var systemEvent: SystemEvent? {
        direction == .system ? SystemEvent(storedText: text) : nil
    }
}

extension NewMessage {
    /// A system message recording `event`, by `author` (the agent who made the change, or Kefu).
    public static func system(_ event: SystemEvent, by author: Author = .system, clientMessageId: String? = nil) -> NewMessage {
        NewMessage(direction: .system, author: author, text: event.storedText, clientMessageId: clientMessageId)
    }
}

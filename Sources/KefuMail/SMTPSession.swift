import Foundation
import KefuCore

/// The envelope of one SMTP transaction.
public struct SMTPEnvelope: Sendable, Equatable {
    /// Empty for the null sender `<>` (bounces).
    public var mailFrom: String
    public var recipients: [String]
    public var clientHostname: String
    public var clientAddress: String?
    public var usedTLS: Bool

    public init(mailFrom: String, recipients: [String], clientHostname: String, clientAddress: String?, usedTLS: Bool) {
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.clientHostname = clientHostname
        self.clientAddress = clientAddress
        self.usedTLS = usedTLS
    }
}

/// What the mail store answered for a message.
public enum SMTPDeliveryResult: Sendable, Equatable {
    /// Durably stored; `id` goes into the 250 reply.
    case accepted(id: String)
    /// Could not be stored now; the sender must retry (451).
    case temporaryFailure(String)
    /// Will never be accepted (554).
    case rejected(String)
}

/// The server side of an SMTP conversation (RFC 5321) as a pure state machine: lines in,
/// actions out. The transport (SMTPServer) performs the actions; tests drive it directly.
public struct SMTPSession: Sendable {
    public enum Action: Sendable, Equatable {
        case reply(Int, String)
        /// Reply 220 then switch the connection to TLS.
        case startTLS
        /// Store the message, then call `delivered(_:)` and send its reply.
        case deliver(SMTPEnvelope, [UInt8])
        case close
    }

    public struct Configuration: Sendable {
        public var hostname: String
        public var maxMessageSize: Int
        public var maxRecipients: Int
        public var tlsAvailable: Bool
        /// Whether this address may receive mail here (support and reply addresses).
        public var recipientVerdict: @Sendable (String) -> RecipientVerdict
        /// Shared by every connection of a listener; nil: no limit beyond `maxMessageSize`.
        public var memory: MessageMemoryBudget?

        public init(
            hostname: String, maxMessageSize: Int = 25 << 20, maxRecipients: Int = 100, tlsAvailable: Bool = false,
            recipientVerdict: @escaping @Sendable (String) -> RecipientVerdict, memory: MessageMemoryBudget? = nil
        ) {
            self.memory = memory
            self.hostname = hostname
            self.maxMessageSize = maxMessageSize
            self.maxRecipients = maxRecipients
            self.tlsAvailable = tlsAvailable
            self.recipientVerdict = recipientVerdict
        }

        public init(
            hostname: String, maxMessageSize: Int = 25 << 20, maxRecipients: Int = 100, tlsAvailable: Bool = false,
            acceptsRecipient: @escaping @Sendable (String) -> Bool
        ) {
            self.init(
                hostname: hostname, maxMessageSize: maxMessageSize, maxRecipients: maxRecipients, tlsAvailable: tlsAvailable,
                recipientVerdict: { acceptsRecipient($0) ? .accepted : .noSuchMailbox })
        }
    }

    enum State: Sendable, Equatable {
        case start  // before HELO/EHLO
        case ready  // greeted, no transaction
        case mail  // MAIL FROM given
        case data  // receiving the message
        case delivering  // waiting for the store
        case closed
    }

    var configuration: Configuration
    var state: State = .start
    var clientHostname = ""
    let clientAddress: String?
    /// The client's network, as the memory budget's per-address share counts it (worked out
    /// once, not on every line of a message).
    let clientNetwork: String
    var tls = false
    var mailFrom = ""
    var recipients: [String] = []
    var data: [UInt8] = []
    /// Why the message being received will be refused at its final dot (its data is dropped).
    var dataRefusal: DataRefusal?
    /// Bytes of `data` counted against `configuration.memory`.
    var heldMemory = 0
    var badCommands = 0

    enum DataRefusal: Sendable, Equatable {
        case tooLarge
        case lineTooLong
        /// The listener's messages in progress already use the memory budget.
        case noMemory
    }

    public init(configuration: Configuration, clientAddress: String?) {
        self.configuration = configuration
        self.clientAddress = clientAddress
        self.clientNetwork = ClientNetwork.key(clientAddress)
    }

    public var greeting: Action { .reply(220, "\(configuration.hostname) ESMTP Kefu ready") }

    /// Whether `line` is a RCPT command: the listener looks the recipients up only when one
    /// comes, so the greeting never waits for the database.
    public static func asksForRecipient(_ line: [UInt8]) -> Bool {
        line.count >= 4 && String(decoding: line.prefix(4), as: UTF8.self).uppercased() == "RCPT"
    }

    /// Answers RCPT from now on with `verdict`.
    public mutating func useRecipientVerdict(_ verdict: @escaping @Sendable (String) -> RecipientVerdict) {
        configuration.recipientVerdict = verdict
    }
    public var isReceivingData: Bool { state == .data }

    /// The connection is now encrypted: RFC 3207 says forget everything said before.
    public mutating func tlsEstablished() {
        tls = true
        state = .start
        resetTransaction()
    }

    mutating func resetTransaction() {
        mailFrom = ""
        recipients = []
        dropData()
        dataRefusal = nil
    }

    /// The message in progress is gone: its memory goes back to the budget.
    mutating func dropData() {
        data = []
        configuration.memory?.give(heldMemory, network: clientNetwork)
        heldMemory = 0
    }

    /// The connection is over: whatever it held goes back to the budget.
    public mutating func end() {
        state = .closed
        dropData()
    }

    /// One line, without its CRLF.
    public mutating func receive(_ line: [UInt8]) -> [Action] {
        switch state {
        case .data: return receiveData(line)
        case .closed: return []
        case .delivering: return [.reply(451, "4.3.0 Busy with the previous message")]
        default: return command(line)
        }
    }

    /// A line over the transport's limit (`SMTPServer.maxLineLength`): in DATA the message is
    /// refused at its end for what it is, a line too long; elsewhere a bad command.
    public mutating func receiveOverlongLine() -> [Action] {
        switch state {
        case .data:
            refuseData(.lineTooLong)
            return []
        case .closed, .delivering: return []
        default: return syntaxError("5.5.2 Line too long")
        }
    }

    mutating func receiveData(_ line: [UInt8]) -> [Action] {
        if line == [UInt8(ascii: ".")] {
            if let refusal = dataRefusal {
                state = .ready
                resetTransaction()
                switch refusal {
                case .tooLarge: return [.reply(552, "5.3.4 Message exceeds the size limit of \(configuration.maxMessageSize) bytes")]
                // RFC 5321 §4.5.3.1 names "500 Line too long"; the content is at fault (X.6.0, RFC 3463).
                case .lineTooLong:
                    return [.reply(500, "5.6.0 Line too long: a line of the message exceeds \(SMTPServer.maxLineLength) bytes (RFC 5321 §4.5.3.1.6)")]
                case .noMemory: return [.reply(452, "4.3.1 Insufficient system storage; try again later")]
                }
            }
            state = .delivering
            let envelope = SMTPEnvelope(
                mailFrom: mailFrom, recipients: recipients, clientHostname: clientHostname, clientAddress: clientAddress, usedTLS: tls)
            return [.deliver(envelope, data)]
        }
        guard dataRefusal == nil else { return [] }
        // Dot-unstuffing: a line starting with "." had one added by the sender.
        let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line[...]
        if data.count + content.count + 2 > configuration.maxMessageSize {
            refuseData(.tooLarge)
            return []
        }
        if let memory = configuration.memory {
            guard memory.take(content.count + 2, network: clientNetwork, messageTotal: heldMemory + content.count + 2) else {
                refuseData(.noMemory)
                return []
            }
            heldMemory += content.count + 2
        }
        data.append(contentsOf: content)
        data.append(contentsOf: [0x0D, 0x0A])
        return []
    }

    /// The first reason counts; what follows is read and dropped until the final dot.
    mutating func refuseData(_ refusal: DataRefusal) {
        if dataRefusal == nil { dataRefusal = refusal }
        dropData()
    }

    /// The store's answer for the message handed out by `.deliver`.
    public mutating func delivered(_ result: SMTPDeliveryResult) -> [Action] {
        guard state == .delivering else { return [] }
        state = .ready
        resetTransaction()
        switch result {
        case .accepted(let id): return [.reply(250, "2.0.0 Ok: queued as \(id)")]
        case .temporaryFailure(let reason): return [.reply(451, "4.3.0 \(reason)")]
        case .rejected(let reason): return [.reply(554, "5.6.0 \(reason)")]
        }
    }

    mutating func command(_ line: [UInt8]) -> [Action] {
        let text = String(decoding: line, as: UTF8.self)
        let verb = text.prefix { $0 != " " }.uppercased()
        let argument = text.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
        switch verb {
        case "EHLO", "HELO":
            guard !argument.isEmpty else { return syntaxError("5.5.4 \(verb) needs a hostname") }
            clientHostname = argument
            state = .ready
            resetTransaction()
            if verb == "HELO" { return [.reply(250, configuration.hostname)] }
            var lines = [configuration.hostname, "PIPELINING", "SIZE \(configuration.maxMessageSize)", "8BITMIME", "ENHANCEDSTATUSCODES"]
            if configuration.tlsAvailable && !tls { lines.append("STARTTLS") }
            return multiline(250, lines)
        case "STARTTLS":
            guard configuration.tlsAvailable, !tls else { return [.reply(502, "5.5.1 STARTTLS not available")] }
            guard state != .start else { return [.reply(503, "5.5.1 EHLO first")] }
            return [.startTLS]
        case "MAIL":
            guard state != .start else { return [.reply(503, "5.5.1 EHLO first")] }
            guard state == .ready else { return [.reply(503, "5.5.1 Nested MAIL command")] }
            guard let (address, parameters) = Self.pathArgument(argument, keyword: "FROM") else {
                return syntaxError("5.5.4 Syntax: MAIL FROM:<address>")
            }
            if let size = parameters["SIZE"].flatMap(Int.init), size > configuration.maxMessageSize {
                return [.reply(552, "5.3.4 Message size exceeds the limit of \(configuration.maxMessageSize) bytes")]
            }
            mailFrom = address
            state = .mail
            return [.reply(250, "2.1.0 Ok")]
        case "RCPT":
            guard state == .mail else { return [.reply(503, "5.5.1 Need MAIL before RCPT")] }
            guard let (address, _) = Self.pathArgument(argument, keyword: "TO"), !address.isEmpty else {
                return syntaxError("5.5.4 Syntax: RCPT TO:<address>")
            }
            guard recipients.count < configuration.maxRecipients else { return [.reply(452, "4.5.3 Too many recipients")] }
            switch configuration.recipientVerdict(address.lowercased()) {
            case .accepted: break
            case .noSuchMailbox: return [.reply(550, "5.1.1 <\(address)>: no such mailbox here")]
            // Not known now (the database did not answer): the sender keeps the mail and retries.
            case .tryLater: return [.reply(451, "4.3.0 <\(address)>: cannot check this mailbox now; try again later")]
            }
            recipients.append(address.lowercased())
            return [.reply(250, "2.1.5 Ok")]
        case "DATA":
            guard state == .mail, !recipients.isEmpty else { return [.reply(503, "5.5.1 Need RCPT before DATA")] }
            state = .data
            data = []
            return [.reply(354, "End data with <CR><LF>.<CR><LF>")]
        case "RSET":
            if state != .start { state = .ready }
            resetTransaction()
            return [.reply(250, "2.0.0 Ok")]
        case "NOOP":
            return [.reply(250, "2.0.0 Ok")]
        case "QUIT":
            state = .closed
            return [.reply(221, "2.0.0 Bye"), .close]
        case "VRFY":
            return [.reply(252, "2.5.2 Cannot verify; send the mail")]
        case "HELP":
            return [.reply(214, "2.0.0 See RFC 5321")]
        default:
            return syntaxError("5.5.2 Command not recognised")
        }
    }

    /// Too many bad commands end the conversation (a client speaking another protocol).
    mutating func syntaxError(_ text: String) -> [Action] {
        badCommands += 1
        if badCommands >= 10 {
            state = .closed
            return [.reply(421, "4.7.0 Too many errors"), .close]
        }
        return [.reply(text.hasPrefix("5.5.2") ? 500 : 501, text)]
    }

    func multiline(_ code: Int, _ lines: [String]) -> [Action] {
        [.reply(code, lines.joined(separator: "\n"))]
    }

    /// `FROM:<a@b> SIZE=123` → ("a@b", ["SIZE": "123"]); also accepts a space after the colon
    /// and a missing pair of brackets, as some senders write it.
    static func pathArgument(_ argument: String, keyword: String) -> (String, [String: String])? {
        guard argument.uppercased().hasPrefix(keyword + ":") else { return nil }
        var rest = argument.dropFirst(keyword.count + 1).trimmingCharacters(in: .whitespaces)
        var address: String
        if rest.hasPrefix("<") {
            guard let close = rest.firstIndex(of: ">") else { return nil }
            address = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = String(rest[rest.index(after: close)...])
        } else {
            address = String(rest.prefix { $0 != " " })
            rest = String(rest.dropFirst(address.count))
        }
        // A source route (@a,@b:user@host) is ignored, as RFC 5321 allows.
        if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") { address = String(address[address.index(after: colon)...]) }
        guard address.isEmpty || (address.contains("@") && !address.contains(" ") && address.count <= 254) else { return nil }
        var parameters: [String: String] = [:]
        for item in rest.split(separator: " ") {
            let pair = item.split(separator: "=", maxSplits: 1)
            parameters[pair[0].uppercased()] = pair.count > 1 ? String(pair[1]) : ""
        }
        return (address, parameters)
    }
}

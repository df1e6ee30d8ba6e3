import ArgumentParser
import Foundation
import KefuChannels
import KefuMail
import KefuQuality
import KefuRealtime
import KefuStore

/// `kefu ingest-email`: one RFC 5322 message on standard input, as an MTA's pipe transport
/// delivers it (Postfix: `pipe … argv=/usr/local/bin/kefu ingest-email --sender ${sender}
/// --recipient ${recipient}`). Exit status follows sysexits.h so the MTA does the right thing.
struct IngestEmail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest-email",
        abstract: "Store one mail read from standard input (for an MTA's pipe transport).",
        discussion: """
            Exit status: 0 stored (or already stored: a redelivery is not an error), 75 (EX_TEMPFAIL) for every
            failure that is not the mail's fault (settings, the database, the disk) so the MTA retries, 65
            (EX_DATAERR) the input is empty, 69 (EX_UNAVAILABLE) it is larger than KEFU_SMTP_MAX_SIZE.

            """ + Settings.help)

    @Option(help: "The envelope sender (Postfix ${sender}); empty for bounces.")
    var sender: String?

    @Option(help: "An envelope recipient (Postfix ${recipient}); repeat for several.")
    var recipient: [String] = []

    static let tempFail: Int32 = 75
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69

    func run() async throws {
        let settings = Settings()
        let logger = Runtime.logger(settings)
        // Anything that is not the mail's fault (settings, the database, the disk) is a
        // temporary failure: the MTA keeps the mail and retries instead of bouncing it. The
        // secret key is not read here: an MTA's user must never create or need it.
        let email: EmailSettings
        let location: DatabaseLocation
        do {
            try Settings.checkValues()
            email = try settings.emailSettings()
            location = try settings.databaseLocation()
        } catch {
            say("ingest-email: cannot start (\(error)); retry later")
            throw ExitCode(Self.tempFail)
        }
        let raw: [UInt8]
        do {
            raw = Array(try FileHandle.standardInput.readToEnd() ?? Data())
        } catch {
            say("ingest-email: standard input cannot be read (\(error)); retry later")
            throw ExitCode(Self.tempFail)
        }
        guard !raw.isEmpty else {
            say("ingest-email: no message on standard input")
            throw ExitCode(Self.dataError)
        }
        guard raw.count <= email.maxMessageSize else {
            say("ingest-email: message of \(raw.count) bytes exceeds KEFU_SMTP_MAX_SIZE (\(email.maxMessageSize))")
            throw ExitCode(Self.unavailable)
        }
        // An MTA's pipe never creates a database: a wrong or missing KEFU_DATABASE_URL would
        // otherwise store the mail where no server reads it.
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
            say("ingest-email: no database at \(path) (check KEFU_DATABASE_URL; `kefu migrate` creates one); retry later")
            throw ExitCode(Self.tempFail)
        }
        let envelope = SMTPEnvelope(
            mailFrom: sender ?? "", recipients: recipient.map { $0.lowercased() }, clientHostname: "localhost", clientAddress: nil,
            usedTLS: false)
        let dataDirectory = settings.dataDirectory
        let hasEnvelope = sender != nil || !recipient.isEmpty
        do {
            let outcome = try await Runtime.withStore(settings, logger: logger) { store in
                let channel = EmailChannel(
                    store: store, blobs: AttachmentBlobStore(dataDirectory: dataDirectory), hub: EventHub(), settings: email,
                    expectations: ResponseExpectations(store: store), logger: logger)
                return try await channel.ingest.ingest(raw: raw, envelope: hasEnvelope ? envelope : nil)
            }
            if outcome.duplicate {
                say("ingest-email: already stored (\(outcome.mailId)); nothing to do")
            } else {
                say("ingest-email: stored as conversation #\(outcome.conversation?.number ?? 0)")
            }
        } catch {
            say("ingest-email: could not store the message now, retry later: \(error)")
            throw ExitCode(Self.tempFail)
        }
    }
}

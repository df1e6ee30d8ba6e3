import Foundation
import Hummingbird
import KefuCore
import KefuLocalization
import Mustache
import NIOCore

/// The console's templates, translations and static files, loaded once at start-up from the
/// module's resources.
public struct ConsoleResources: Sendable {
    let templates: MustacheLibrary
    let translations: [UILocale: [String: String]]
    let staticFiles: [String: (contentType: String, body: ByteBuffer)]

    public static func load() async throws -> ConsoleResources {
        guard let root = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        _ = ScalarHTML.registered
        let templates = try await MustacheLibrary(directory: root.appendingPathComponent("templates").path)
        // Pages and the widget read the one catalog every other text comes from (read once per
        // process, not again for every application built).
        let catalog = Catalog.standard
        let translations = Dictionary(uniqueKeysWithValues: UILocale.allCases.map { ($0, catalog.table($0)) })
        var files: [String: (String, ByteBuffer)] = [:]
        let staticDirectory = root.appendingPathComponent("static")
        for name in try FileManager.default.contentsOfDirectory(atPath: staticDirectory.path) {
            let data = try Data(contentsOf: staticDirectory.appendingPathComponent(name))
            let type =
                switch (name as NSString).pathExtension {
                case "css": "text/css; charset=utf-8"
                case "js": "text/javascript; charset=utf-8"
                case "svg": "image/svg+xml"
                default: "application/octet-stream"
                }
            files[name] = (type, ByteBuffer(data: data))
        }
        return ConsoleResources(templates: templates, translations: translations, staticFiles: files)
    }

    func text(_ key: String, _ locale: UILocale) -> String {
        translations[locale]?[key] ?? translations[.en]?[key] ?? key
    }

    func render(_ template: String, _ values: [String: Any]) throws -> Response {
        guard let html = templates.render(values, withTemplate: template) else { throw APIError.internalError }
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Serves `/static/NAME` from memory; unknown names are 404s.
    func staticResponse(_ name: String) throws -> Response {
        guard let file = staticFiles[name] else { throw APIError.routeNotFound }
        return Response(
            status: .ok, headers: [.contentType: file.contentType, .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: file.body))
    }
}

/// Every template starts with `{{% CONTENT_TYPE: SCALAR_HTML}}`: swift-mustache's own HTML
/// escaping goes by Character, so a `<` fused with a combining mark or a prepended sign into one
/// grapheme would pass unescaped (and the browser reads it as markup).
struct ScalarHTML: MustacheContentType {
    static let name = "SCALAR_HTML"

    func escapeText(_ text: String) -> String { HTMLEscaping.escape(text) }

    /// Registered once per process, before any template is parsed (the registry is a plain
    /// static the library does not guard).
    static let registered: Void = MustacheContentTypes.register(ScalarHTML(), named: name)
}

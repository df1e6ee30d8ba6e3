import Benchmark
import Foundation
import KefuCore
import KefuSafety

// The secret check every inbound message passes before it is stored: its cost per message,
// beside "store: append message" and "baseline: raw SQLite insert" in the same run (docs/benchmarks.md).

enum SecretScanCorpus {
    /// What customers write: short chats in both languages, a long mail, one with a phrase.
    static let messages = [
        "您好，我的提现还没有到账。",
        "Hi, my withdrawal of 0.5 ETH has been pending since this morning. The transaction hash is "
            + "0x11b7273230761fe06727622f275b6898dc1c049c3050d28bc0261dfbc73a6f1d.",
        "为什么我的账户被风控了？我只是换了一台新手机登录，然后提了一笔币到新地址，现在显示需要人工审核，大概要等多久？",
        String(
            repeating: "I have been a customer for about five years and I always found the support team helpful. Last week I tried to move "
                + "some funds to my cold wallet and the app asked me to verify my identity again. ", count: 8),
        "My recovery phrase is: legal winner thank year wave sausage worth useful legal winner thank yellow. Please help.",
    ]
}

func secretScanBenchmarks() {
    let perMessage = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 20, maxDuration: .seconds(5))
    for (name, text) in zip(["short zh", "en with txid", "zh paragraph", "long mail (1.7 KB)", "en with phrase"], SecretScanCorpus.messages) {
        Benchmark("safety: secret check, \(name)", configuration: perMessage) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(SecretScanner.standard.redact(text)) }
        } setup: {
            _ = SecretScanner.standard.redact("warm the word lists")
        }
    }
}

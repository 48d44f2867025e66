import Foundation
@testable import SepconvGen

/// The compile harness: the C builds (strict, sanitized, C++), their links and runs.
extension CompileSession {
    // MARK: C

    static let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]
    /// The sanitizer build also makes every `__builtin_prefetch` a read, which
    /// AddressSanitizer checks: a prefetch is never instrumented, so one that
    /// ran past its array would go unseen.
    static let sanitizerFlags = ["-std=c99", "-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                 "-D__builtin_prefetch(p)=((void)*(const volatile char *)(p))"]
    /// gcc's variable tracking (location lists for -g) takes 60% of the
    /// sanitizer build on straight-line kernels and gives the sanitizer's
    /// reports nothing (they need line tables, which stay).
    static let gccSanitizerExtras = ["-fno-var-tracking"]

    func flags(_ build: Build) -> [String] {
        (build == .c ? Self.strictFlags : Self.sanitizerFlags + (isGCC ? Self.gccSanitizerExtras : [])) + extraFlags.c
    }

    /// Compiles `names`' C files to objects in the build's folder, one compiler call.
    func compileObjects(_ cc: String, _ build: Build, _ names: [String]) {
        let directory = folder(build)
        let result = Tools.run(cc, flags(build) + ["-I", source.path, "-c"] + names.map { source.appendingPathComponent($0 + ".c").path },
                               in: directory)
        let messages = Tools.messagesByFile(result.stderr)
        for name in names where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name + ".o").path) {
            let text = (messages[name] ?? []).prefix(30).joined(separator: "\n")
            fail(build, name, "\(name).c does not compile (\(([cc] + flags(build)).joined(separator: " "))):\n"
                 + (text.isEmpty ? Tools.tail(result.stderr) : text))
        }
    }

    /// The cases whose object exists in `build`.
    func compiled(_ build: Build) -> [Case] {
        compiledCases.filter { FileManager.default.fileExists(atPath: folder(build).appendingPathComponent($0.name + ".o").path) }
    }

    func linkC(_ cc: String, _ build: Build) {
        let directory = folder(build)
        let members = compiled(build)
        let driver = directory.appendingPathComponent("driver.c")
        write(driver, Data(CDriver.text(members).utf8))
        let result = Tools.run(cc, flags(build) + ["-I", source.path, "driver.c"] + members.map { $0.name + ".o" } + ["-lm", "-o", "driver"],
                               in: directory)
        if result.status != 0 {
            problem("the \(build.rawValue) driver does not build:\n" + Tools.tail(result.stderr))
            for item in members { fail(build, item.name, "not run: the \(build.rawValue) driver does not build") }
        }
    }

    func runDriver(_ build: Build) {
        let directory = folder(build)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("driver").path) else { return }
        runUntilDone(build, executable: directory.appendingPathComponent("driver").path, members: compiled(build),
                     environment: ["ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:halt_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"])
    }

    /// Runs a driver from entry 0; when it dies, blames the entry it had begun
    /// and starts again after it.
    func runUntilDone(_ build: Build, executable: String, members: [Case], environment: [String: String]) {
        var next = 0
        while next < members.count {
            let result = Tools.run(executable, [data.path, build.rawValue, String(next)], in: folder(build), environment: environment)
            var begun: Int?
            for line in result.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 2)
                guard parts.count >= 2, let index = Int(parts[1]), members.indices.contains(index) else { continue }
                switch parts[0] {
                case "begin": begun = index
                case "done": begun = nil
                case "shape": fail(build, members[index].name, "the emitted shape constants disagree with the plan: \(parts.dropFirst(2).joined())")
                case "io": fail(build, members[index].name, "the driver could not read the input or write the output")
                case "array": fail(build, members[index].name, "forward(_:batch:) (array) and forward(_:into:batch:) (buffer) disagree")
                default: break
                }
            }
            if result.status == 0 { return }
            guard let culprit = begun else {
                problem("the \(build.rawValue) driver \(executable) failed outside any layer (status \(result.status)):\n" + Tools.tail(result.stderr))
                for item in members[next...] { fail(build, item.name, "not run: the driver failed") }
                return
            }
            fail(build, members[culprit].name, "crashed the \(build.rawValue) driver (status \(result.status)):\n" + Tools.tail(result.stderr, lines: 40))
            next = culprit + 1
        }
    }

    func checkCpp(_ cxx: String?) {
        guard let cxx else {
            locked { report.cppProblem = "c++ not found on PATH: the headers' C++ compatibility was not checked" }
            return
        }
        // One float32 and one float64 layer whose C compiled.
        let members = compiled(.c)
        guard let single = members.first(where: { $0.plan.dtype == .float32 }),
              let double = members.first(where: { $0.plan.dtype == .float64 }) else {
            locked { report.cppProblem = "no compiled float32 and float64 layers to include from C++" }
            return
        }
        let directory = work.appendingPathComponent("cpp")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (a, b) = (single.name, double.name)
        let text = """
            // Includes generated headers from C++ (one twice, for the include guard) and calls them.
            #include "\(a).h"
            #include "\(a).h"
            #include "\(b).h"
            #include <vector>

            int main()
            {
                std::vector<float> x(\(a)_INPUT_SIZE, 0.5f), y(\(a)_OUTPUT_SIZE);
                \(a)(x.data(), y.data(), 1);
                std::vector<double> u(\(b)_INPUT_SIZE, 0.5), v(\(b)_OUTPUT_SIZE);
                \(b)(u.data(), v.data(), 1);
                return y[0] == y[0] && v[0] == v[0] ? 0 : 1;
            }

            """
        write(directory.appendingPathComponent("check.cpp"), Data(text.utf8))
        let compile = Tools.run(cxx, ["-std=c++11", "-Wall", "-Wextra", "-Werror", "-I", source.path, "-c", "check.cpp", "-o", "check.o"], in: directory)
        guard compile.status == 0 else {
            locked { report.cppProblem = "c++ -std=c++11 -Wall -Wextra -Werror -c does not compile a file including \(a).h and \(b).h:\n" + Tools.tail(compile.stderr) }
            return
        }
        let objects = [a, b].map { folder(.c).appendingPathComponent($0 + ".o").path }
        let link = Tools.run(cxx, ["check.o"] + objects + ["-lm", "-o", "check"], in: directory)
        guard link.status == 0 else {
            locked { report.cppProblem = "a C++ caller does not link with the C objects of \(a) and \(b) (extern \"C\"?):\n" + Tools.tail(link.stderr) }
            return
        }
        let run = Tools.run(directory.appendingPathComponent("check").path, [], in: directory)
        if run.status != 0 {
            locked { report.cppProblem = "the C++ caller of \(a) and \(b) exited with status \(run.status) (NaN output?)\n" + Tools.tail(run.stderr) }
        }
    }

    /// Symbols in writable data sections (`nm` types d, b, g, s, c, D, B, G, S, C, V).
    func checkGlobals() {
        let objects = compiled(.c).map { $0.name + ".o" }
        guard !objects.isEmpty, let nm = Tools.find("nm") else { return }
        let result = Tools.run(nm, ["-A"] + objects, in: folder(.c))
        let writable: Set<Character> = ["d", "b", "g", "s", "c", "D", "B", "G", "S", "C", "V"]
        let found = result.stdout.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let type = fields[fields.count - 2].first, fields[fields.count - 2].count == 1, writable.contains(type) else { return nil }
            return String(line)
        }
        locked { report.mutableGlobals = found }
    }
}

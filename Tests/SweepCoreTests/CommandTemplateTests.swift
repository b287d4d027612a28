@testable import SweepCore
import Testing

@Suite("Command macros")
struct CommandTemplateTests {
    static let hostile = "a b'c\"d;rm -rf /$(reboot)`x`|&&>out"

    func template(_ arguments: [String]) throws -> CommandTemplate {
        let yaml = "method: grid\nprogram: train.py\ncommand: [" + arguments.map { "'\($0)'" }.joined(separator: ", ") + "]\nparameters: {x: {value: 1}}\n"
        return try #require(try Support.spec(yaml).command)
    }

    @Test func defaultCommandIsWandbs() throws {
        let spec = try Support.spec("method: grid\nprogram: train.py\nparameters: {lr: {value: 0.01}, name: {value: run}}\n")
        let argv = (spec.command ?? .wandbDefault).argv(params: .object(["lr": .double(0.01), "name": .string("run")]), context: .init(program: spec.program))
        #expect(argv == ["/usr/bin/env", "python3", "train.py", "--lr=0.01", "--name=run"])
    }

    @Test func valuesWithShellCharactersStayOneLiteralArgument() throws {
        let template = try template(["${program}", "${args}", "${args_no_hyphens}", "${args_json}"])
        let params = ParamValue.object(["cmd": .string(Self.hostile), "n": .int(3)])
        let argv = template.argv(params: params, context: .init(program: "p.py"))
        #expect(argv == [
            "p.py",
            "--cmd=\(Self.hostile)", "--n=3",
            "cmd=\(Self.hostile)", "n=3",
            #"{"cmd":"a b'c\"d;rm -rf /$(reboot)`x`|&&>out","n":3}"#,
        ])
    }

    @Test func booleanFlagsAndPythonSpelling() throws {
        let template = try template(["${args_no_boolean_flags}", "${args}"])
        let params = ParamValue.object(["amp": .bool(true), "debug": .bool(false), "lr": .double(1e-5), "tags": .array([.int(1), .string("x")]), "none": .null])
        let argv = template.argv(params: params, context: .init(program: nil))
        #expect(argv == [
            "--amp", "--lr=1e-05", "--none=None", #"--tags=[1,"x"]"#,
            "--amp=True", "--debug=False", "--lr=1e-05", "--none=None", #"--tags=[1,"x"]"#,
        ])
    }

    @Test func inlineMacrosAndJSONFile() throws {
        let template = try template(["${env}", "${interpreter}", "--script=${program}", "--config", "${args_json_file}"])
        let argv = template.argv(params: .object(["a": .int(1)]), context: .init(program: "t.py", interpreter: "python3.12", argsJSONFile: "/tmp/job/params.json"))
        #expect(argv == ["/usr/bin/env", "python3.12", "--script=t.py", "--config", "/tmp/job/params.json"])
    }

    @Test func nestedParametersArePassedAsJSON() throws {
        let spec = try Support.spec("""
            method: grid
            program: t.py
            parameters:
              optimizer:
                parameters:
                  name: {value: adam}
                  lr: {value: 0.001}
            """)
        let job = try #require(try Expander.expand(spec).jobs.first)
        let argv = CommandTemplate.wandbDefault.argv(params: job.params, context: .init(program: "t.py"))
        #expect(argv.last == #"--optimizer={"lr":0.001,"name":"adam"}"#)
    }

    @Test func unknownAndMisplacedMacrosAreRefused() {
        let unknown = Support.errors("method: grid\nprogram: t.py\ncommand: [\"${program}\", \"${arg}\"]\nparameters: {x: {value: 1}}\n")
        #expect(unknown.map(\.message) == ["unknown macro '${arg}' in 'command'; did you mean '${args}'? (known: ${env}, ${interpreter}, ${program}, ${args}, ${args_no_hyphens}, ${args_no_boolean_flags}, ${args_json}, ${args_json_file})"])
        #expect(unknown.first?.location.line == 3)
        let glued = Support.errors("method: grid\nprogram: t.py\ncommand: [\"x${args}\"]\nparameters: {x: {value: 1}}\n")
        #expect(glued.map(\.message) == ["'${args}' expands to several arguments and must be a list item on its own, not part of 'x${args}'"])
    }

    @Test func textThatLooksLikeAMacroButIsNotOneStaysLiteral() {
        let (segments, unknown) = CommandTemplate.parseArgument("$HOME ${ unclosed")
        #expect(unknown.isEmpty)
        #expect(segments == [.literal("$HOME ${ unclosed")])
    }
}

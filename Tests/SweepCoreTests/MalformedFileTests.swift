import Foundation
@testable import SweepCore
import Testing

private typealias ExpectedError = MalformedFileTests.ExpectedError

/// Every file in `Fixtures/malformed` that is refused as it should be, with all of its errors in
/// position order (line, column, then message). Each message is the exact text `sweep validate`
/// prints. Where the output is correct but could serve the user better, a comment says so; the
/// test pins today's output so that any change to it is deliberate. Files whose output is wrong
/// are in `knownIssues` instead, with the output they should give.
private let refusedFiles: [(file: String, errors: [ExpectedError])] = [
    // Deep nesting is refused by the prescan at the first node deeper than 64 levels, where the
    // exact check after parsing would point (nesting-65-flow.yaml): the 62nd bracket, a list at
    // level 65.
    ("nesting-1000-flow.yaml", [
        (5, 74, "nesting is deeper than 64 levels; a sweep file is configuration and never needs this"),
    ]),
    ("nesting-1000-flow-after-quote.yaml", [
        (5, 80, "nesting is deeper than 64 levels; a sweep file is configuration and never needs this"),
    ]),
    ("nesting-1000-block-sequences-compact.yaml", [
        (6, 129, "nesting is deeper than 64 levels; a sweep file is configuration and never needs this"),
    ]),
    ("anchors-after-block-scalar-in-list.yaml", [
        (8, 15, "anchor '&a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (9, 15, "anchor '&a1': anchors and aliases are not supported in sweep files; write each value out in full"),
        (9, 20, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (9, 25, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (9, 30, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (10, 16, "3 more anchors or aliases from here on; none are supported"),
    ]),
    ("alias-after-tag.yaml", [
        (5, 20, "anchor '&a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 35, "anchor '&a1': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 40, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 45, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 50, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 57, "3 more anchors or aliases from here on; none are supported"),
    ]),
    // The first 5 of the 45 anchors and aliases are listed, then a count of the rest.
    ("alias-expansion-bomb.yaml", [
        (4, 16, "anchor '&a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 16, "anchor '&a1': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 21, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 26, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 31, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (5, 36, "40 more anchors or aliases from here on; none are supported"),
    ]),
    // 10^10 values if the aliases were followed; `aliasBombIsRefusedBeforeItIsExpanded` checks the
    // time. 5 of the 100 anchors and aliases are listed, then a count of the rest.
    ("alias-bomb-ten-levels.yaml", [
        (5, 16, "anchor '&a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (6, 16, "anchor '&a1': anchors and aliases are not supported in sweep files; write each value out in full"),
        (6, 21, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (6, 26, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (6, 31, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
        (6, 36, "95 more anchors or aliases from here on; none are supported"),
    ]),
    ("anchor-and-alias.yaml", [
        (4, 7, "anchor '&choices': anchors and aliases are not supported in sweep files; write each value out in full"),
        (6, 7, "alias '*choices': anchors and aliases are not supported in sweep files; write each value out in full"),
    ]),
    // Could be clearer: libyaml's wording; no hint about indentation.
    ("bad-indentation.yaml", [
        (6, 4, "invalid YAML: did not find expected key (while parsing a block mapping at line 4)"),
    ]),
    ("command-args-not-alone.yaml", [
        (7, 5, "'${args}' expands to several arguments and must be a list item on its own, not part of '--config ${args}'"),
    ]),
    ("command-as-string.yaml", [
        (3, 10, #"'command' must be a list of arguments (Sweep never runs a shell); write it as ["python3", "train.py", "${args}"]"#),
    ]),
    ("command-empty.yaml", [
        (3, 10, #"'command' is empty; list the program and its arguments, for example ["${env}", "${interpreter}", "${program}", "${args}"]"#),
    ]),
    // Could be clearer: no hint that the job inherits the worker's environment (docs).
    ("command-envvar-macro.yaml", [
        (3, 53, "unknown macro '${envvar:DATA_DIR}' in 'command' (known: ${env}, ${interpreter}, ${program}, ${args}, ${args_no_hyphens}, ${args_no_boolean_flags}, ${args_json}, ${args_json_file})"),
    ]),
    ("command-item-mapping.yaml", [
        (5, 5, "each command argument must be a string, found a mapping"),
    ]),
    ("command-unknown-macro.yaml", [
        (5, 5, "unknown macro '${interpeter}' in 'command'; did you mean '${interpreter}'? (known: ${env}, ${interpreter}, ${program}, ${args}, ${args_no_hyphens}, ${args_no_boolean_flags}, ${args_json}, ${args_json_file})"),
    ]),
    ("comments-only.yaml", [
        (1, 1, "the file holds no sweep (it is empty or only comments); a sweep needs at least 'method' and 'parameters'"),
    ]),
    ("crlf-line-endings.yaml", [
        (2, 9, "unknown method 'gird'; did you mean 'grid'? (expected one of: grid, random, sobol)"),
    ]),
    ("document-marker-only.yaml", [
        (1, 1, "the file holds no sweep (it is empty or only comments); a sweep needs at least 'method' and 'parameters'"),
    ]),
    // A flow mapping's repeated key is found at the mapping's own depth, past the keys of
    // nested mappings and over several lines.
    ("duplicate-key-flow-after-nested-mapping.yaml", [
        (4, 37, "duplicate key 'values' in the same mapping; each key may appear once"),
    ]),
    ("duplicate-key-flow-multiline.yaml", [
        (5, 3, "duplicate key 'lr' in the same mapping; each key may appear once"),
    ]),
    ("duplicate-key-number-and-string.yaml", [
        (6, 3, "duplicate key '1' in the same mapping (first at line 4); each key may appear once"),
    ]),
    // Could be clearer: unlike duplicate-key-number-and-string.yaml, does not say where the first 'lr' is.
    ("duplicate-key.yaml", [
        (6, 3, "duplicate key 'lr' in the same mapping; each key may appear once"),
    ]),
    ("early-stop-setting-of-other-policy.yaml", [
        (7, 3, "key 'reduction_factor' does not apply to policy 'median' (it takes min_steps, min_trials)"),
    ]),
    ("early-stop-cost-aware-not-boolean.yaml", [
        (8, 15, "'early_stop.cost_aware' must be true or false, found the string 'sometimes'"),
    ]),
    ("early-stop-unknown-forecaster.yaml", [
        (8, 15, "unknown forecaster 'mixd'; did you mean 'mixed'? (expected one of: ensemble, population, mixed)"),
    ]),
    ("early-stop-threshold-out-of-range.yaml", [
        (8, 14, "'early_stop.threshold' is a probability and must lie strictly between 0 and 1, found 1.5"),
    ]),
    ("early-stop-unknown-policy.yaml", [
        (6, 11, "unknown early-stopping policy 'meadian'; did you mean 'median'? (expected one of: none, median, asha, hyperband, predict, threshold)"),
    ]),
    ("early-stop-without-metric.yaml", [
        (4, 1, "early stopping compares runs on a metric; add 'metric: {name: ..., goal: minimize|maximize}'"),
    ]),
    ("early-terminate-and-early-stop.yaml", [
        (6, 1, "use either 'early_terminate' (W&B hyperband) or 'early_stop', not both"),
    ]),
    ("empty-values.yaml", [
        (5, 13, "'values' of parameter 'activation' is empty; list at least one value"),
    ]),
    ("empty.yaml", [
        (1, 1, "the file holds no sweep (it is empty or only comments); a sweep needs at least 'method' and 'parameters'"),
    ]),
    ("grid-continuous-distribution.yaml", [
        (5, 5, "grid search needs a finite set of values, but parameter 'lr' has the continuous distribution 'log_uniform_values'; use 'values', int_uniform or q_uniform, or method random/sobol"),
    ]),
    ("grid-inferred-uniform.yaml", [
        (5, 5, "grid search needs a finite set of values, but parameter 'dropout' has the continuous distribution 'uniform'; use 'values', int_uniform or q_uniform, or method random/sobol"),
    ]),
    ("hyperband-min-iter-greater-than-max-iter.yaml", [
        (7, 3, "'early_terminate.min_iter' (27) is greater than 'max_iter' (9)"),
    ]),
    ("int-uniform-float-bounds.yaml", [
        (7, 10, "'min' of int_uniform parameter 'epochs' must be an integer, found the number 1.5"),
    ]),
    ("kernel-invalid-name.yaml", [
        (1, 9, "kernel name 'MLP Train' is not valid; kernel names are lowercase letters, digits, '-' and '_' (for example mlp-train)"),
    ]),
    ("kernel-with-command.yaml", [
        (1, 1, "'kernel' and 'command' cannot be used together: a job runs either the built-in kernel 'mlp-train' or a command"),
    ]),
    ("key-not-applicable-to-distribution.yaml", [
        (9, 5, "key 'q' does not apply to distribution 'uniform' of parameter 'dropout' (it takes min, max)"),
    ]),
    ("ladder-per-rung-and-per-param.yaml", [
        (12, 5, "'ladder.budget' takes either 'per_rung' or 'per_param', not both"),
    ]),
    ("ladder-per-rung-count-mismatch.yaml", [
        (11, 15, "'ladder.budget.per_rung' (one budget per rung) has 3 entries, but the ladder has 4 rungs"),
    ]),
    ("ladder-single-rung.yaml", [
        (8, 10, "'ladder.rungs' has 1 rung; a scaling fit needs at least 2 (3 or more recommended)"),
    ]),
    ("ladder-size-also-parameter.yaml", [
        (8, 9, "'width' is the ladder's size parameter, so it must not also be listed under 'parameters'"),
    ]),
    ("list-where-mapping-needed.yaml", [
        (4, 9, "'metric' must be a mapping such as {name: val_loss, goal: minimize}, found a list"),
    ]),
    ("log-uniform-overflow.yaml", [
        (6, 5, "'log_uniform' takes natural-log bounds, so exp(1000) overflows; did you mean 'log_uniform_values'?"),
    ]),
    ("log-uniform-values-min-zero.yaml", [
        (7, 10, "'min' of parameter 'lr' is 0, but a log scale needs bounds greater than 0"),
    ]),
    ("mapping-key-is-list.yaml", [
        (4, 3, "a mapping key must be a plain name, not a list"),
    ]),
    ("mapping-where-list-needed.yaml", [
        (6, 7, "'values' of parameter 'optimizer' must be a list such as [0.01, 0.1], found a mapping"),
    ]),
    ("merge-key.yaml", [
        (3, 11, "anchor '&defaults': anchors and aliases are not supported in sweep files; write each value out in full"),
        (7, 9, "alias '*defaults': anchors and aliases are not supported in sweep files; write each value out in full"),
    ]),
    ("method-as-list.yaml", [
        (2, 9, "'method' must be a string, found a list"),
    ]),
    ("method-bayes.yaml", [
        (2, 9, "method 'bayes' is not supported yet; use 'random' or 'sobol' (Bayesian search is planned)"),
    ]),
    // Could be clearer: points at 'goal' inside the mapping rather than at 'metric'.
    ("metric-without-name.yaml", [
        (5, 3, "'metric' needs a 'name': the metric your program reports (for example val_loss)"),
    ]),
    ("min-greater-than-max.yaml", [
        (7, 10, "'min' (0.5) of parameter 'dropout' is greater than 'max' (0.1)"),
    ]),
    ("missing-max.yaml", [
        (6, 5, "parameter 'dropout' needs both 'min' and 'max'; 'max' is missing"),
    ]),
    ("missing-method.yaml", [
        (1, 1, "missing required key 'method' (one of: grid, random, sobol)"),
    ]),
    ("missing-program.yaml", [
        (1, 1, "missing 'program': the default command runs ${env} ${interpreter} ${program} ${args}; name the training script (program: train.py), or give a 'kernel'"),
    ]),
    ("multi-document.yaml", [
        (5, 1, "a sweep file holds one YAML document; found another one here (remove the '---' separator or split the file)"),
    ]),
    ("nested-parameters-with-values.yaml", [
        (5, 5, "parameter 'optimizer' has nested 'parameters', so it cannot also have 'values'"),
    ]),
    ("non-finite-value.yaml", [
        (5, 20, "parameter values must be finite numbers, found .inf"),
    ]),
    ("null-values.yaml", [
        (5, 12, "'values' of parameter 'activation' must be a list such as [0.01, 0.1], found null"),
    ]),
    ("parameter-as-scalar.yaml", [
        (4, 7, "parameter 'lr' must be a mapping such as {value: ...}, {values: [...]} or {min: ..., max: ...}, found the number 0.01"),
    ]),
    ("parameter-name-with-equals.yaml", [
        (4, 3, "parameter name 'lr=1' cannot be passed as --name=value; use letters, digits, '_' and '-' (no '=', '.', spaces, or leading '-')"),
    ]),
    ("parameters-as-list.yaml", [
        (4, 3, "'parameters' must be a mapping such as {lr: {min: 0.0001, max: 0.1}}, found a list"),
    ]),
    ("parameters-empty.yaml", [
        (3, 13, "'parameters' declares no parameter; add at least one, for example lr: {values: [0.01, 0.1]}"),
    ]),
    ("predict-without-horizon.yaml", [
        (5, 1, "policy 'predict' needs the step to predict: set 'early_stop.horizon' or 'max_steps'"),
    ]),
    ("priority-out-of-range.yaml", [
        (3, 11, "'priority' must be between -1000 and 1000, found 5000"),
    ]),
    ("probabilities-not-summing-to-one.yaml", [
        (7, 20, "'probabilities' of parameter 'activation' sum to 0.9; they must sum to 1"),
    ]),
    ("probabilities-wrong-count.yaml", [
        (7, 20, "'probabilities' of parameter 'activation' has 2 entries but 'values' has 3; give one probability per value"),
    ]),
    ("program-empty.yaml", [
        (1, 10, "'program' must not be empty"),
    ]),
    ("q-log-uniform-values-negative-min.yaml", [
        (7, 10, "'min' of parameter 'batch_size' is -16, but a log scale needs bounds greater than 0"),
    ]),
    ("q-not-positive.yaml", [
        (8, 8, "'q' of parameter 'batch_size' must be greater than 0, found 0"),
    ]),
    ("resources-label-list.yaml", [
        (6, 11, "a label value must be a plain value, found a list"),
    ]),
    ("retries-bad-duration.yaml", [
        (5, 12, "'retries.backoff' must be a duration such as 500ms, 10s, 5m or 2h (or a number of seconds), found the string 'ten seconds'"),
    ]),
    ("retries-max-backoff-shorter.yaml", [
        (6, 16, "'retries.max_backoff' (10s) is shorter than 'retries.backoff' (1m)"),
    ]),
    ("run-cap-float.yaml", [
        (3, 10, "'run_cap' must be an integer, found the number 2.5"),
    ]),
    ("seed-negative.yaml", [
        (3, 7, "'seed' must be at least 0, found -1"),
    ]),
    ("seeds-duplicate.yaml", [
        (3, 15, "seed 1 is listed twice in 'seeds'; each replicate needs its own seed"),
    ]),
    ("seeds-empty-list.yaml", [
        (3, 8, "'seeds' lists no seed; give a count (seeds: 3) or at least one seed"),
    ]),
    ("seeds-zero.yaml", [
        (3, 8, "'seeds' (a count of replicates or a list of seeds) must be between 1 and 10000, found 0"),
    ]),
    ("several-errors.yaml", [
        (3, 8, "'seeds' (a count of replicates or a list of seeds) must be between 1 and 10000, found 0"),
        (4, 11, "'priority' must be between -1000 and 1000, found -2000"),
        (7, 9, "unknown goal 'maximise'; did you mean 'maximize'? (expected minimize or maximize)"),
        (10, 5, "grid search needs a finite set of values, but parameter 'lr' has the continuous distribution 'uniform'; use 'values', int_uniform or q_uniform, or method random/sobol"),
        (14, 13, "'values' of parameter 'batch_size' is empty; list at least one value"),
        (17, 5, "parameter 'epochs' has both 'value' and 'values'; use 'value' for a constant or 'values' for a choice"),
    ]),
    ("sigma-negative.yaml", [
        (8, 12, "'sigma' of parameter 'noise' must be greater than 0, found -1"),
    ]),
    ("string-where-number-needed.yaml", [
        (7, 10, "'min' of parameter 'lr' must be a number, found the string 'low'"),
    ]),
    ("tab-after-spaces.yaml", [
        (5, 3, "tab character in indentation; YAML indents with spaces only (replace the tab with spaces)"),
    ]),
    ("tab-indentation.yaml", [
        (5, 1, "tab character in indentation; YAML indents with spaces only (replace the tab with spaces)"),
    ]),
    ("top-level-list.yaml", [
        (1, 1, "a sweep must be a mapping such as method: random, found a list"),
    ]),
    ("top-level-scalar.yaml", [
        (1, 1, "a sweep must be a mapping such as method: random, found the string 'just some text'"),
    ]),
    ("unclosed-flow-list.yaml", [
        (4, 26, "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 4)"),
    ]),
    ("undefined-alias.yaml", [
        (4, 7, "alias '*missing': anchors and aliases are not supported in sweep files; write each value out in full"),
    ]),
    ("unknown-distribution.yaml", [
        (6, 19, "unknown distribution 'log_uniformvalues' for parameter 'lr'; did you mean 'log_uniform_values'? (expected one of: constant, categorical, int_uniform, uniform, log_uniform, log_uniform_values, inv_log_uniform, inv_log_uniform_values, q_uniform, q_log_uniform, q_log_uniform_values, normal, q_normal, log_normal, q_log_normal, beta, q_beta)"),
    ]),
    ("unknown-early-stop-key.yaml", [
        (7, 3, "unknown key 'min_step' in 'early_stop'; did you mean 'min_steps'? (policy 'median' takes: policy, metric, min_steps, min_trials)"),
    ]),
    ("unknown-early-terminate-type.yaml", [
        (6, 9, "unknown early_terminate type 'envelope'; W&B defines only 'hyperband' (Sweep's other policies go under 'early_stop')"),
    ]),
    ("unknown-goal.yaml", [
        (6, 9, "unknown goal 'minimise'; did you mean 'minimize'? (expected minimize or maximize)"),
    ]),
    ("unknown-method.yaml", [
        (2, 9, "unknown method 'gird'; did you mean 'grid'? (expected one of: grid, random, sobol)"),
    ]),
    ("unknown-metric-key.yaml", [
        (6, 3, "unknown key 'gaol' in 'metric'; did you mean 'goal'? (expected one of: name, goal, target)"),
    ]),
    ("unknown-parameter-key.yaml", [
        (6, 5, "unknown key 'distrbution' in parameter 'lr'; did you mean 'distribution'? (expected one of: value, values, probabilities, distribution, min, max, q, mu, sigma, a, b, parameters)"),
    ]),
    ("unknown-top-level-key.yaml", [
        (5, 1, "unknown key 'early_terminte' at the top level of a sweep; did you mean 'early_terminate'? (expected one of: program, method, metric, parameters, early_terminate, run_cap, command, name, description, project, entity, controller, seed, seeds, kernel, resources, retries, max_steps, priority, early_stop, ladder)"),
    ]),
    ("value-and-values.yaml", [
        (6, 5, "parameter 'epochs' has both 'value' and 'values'; use 'value' for a constant or 'values' for a choice"),
    ]),
]

/// Committed files whose output is wrong today, with the errors they should produce: malformed
/// files that are accepted, and files refused at the wrong place. Checked under
/// `withKnownIssue`: once the parser gives exactly the listed errors, the known issue is no
/// longer recorded, the test fails, and the entry moves to `refusedFiles`.
private let knownIssues: [(file: String, issue: String, errors: [ExpectedError])] = [
    // None today.
]

private typealias GeneratedFile = MalformedFileTests.GeneratedFile

/// A sweep file's opening lines, for generated files.
private let sweepHeader = "program: train.py\nmethod: grid\nparameters:\n"

/// Files written at test time: too large to commit (10 MiB, deep block nesting), or bytes that
/// are not valid text.
private let generatedFiles: [GeneratedFile] = [
    GeneratedFile(
        name: "ten-megabytes.yaml",
        bytes: {
            let header = Array("program: train.py\nmethod: grid\n".utf8)
            let padding = Array("# padding padding padding padding padding padding\n".utf8)
            var bytes = header
            while bytes.count < 10 << 20 { bytes += padding }
            return Array(bytes.prefix(10 << 20))
        },
        errors: [(1, 1, "the file is 10485760 bytes; a sweep file may be at most 4194304 bytes (4 MiB): keep data out of sweep files and point to it from a parameter")]
    ),
    // One level past the limit: the 61st bracket's content is the 65th level (mapping, mapping,
    // mapping, list, then 61 lists). Under the prescan bound, so the exact check after parsing refuses it.
    GeneratedFile(
        name: "nesting-65-flow.yaml",
        bytes: { Array((sweepHeader + "  lr:\n    values: " + String(repeating: "[", count: 61) + "1" + String(repeating: "]", count: 61) + "\n").utf8) },
        errors: [(5, 74, "nesting is deeper than 64 levels; a sweep file is configuration and never needs this")]
    ),
    GeneratedFile(
        name: "invalid-utf8.yaml",
        bytes: { Array("program: train.py\nmethod: gr".utf8) + [0xFF] + Array("id\nparameters:\n  lr: {values: [0.01]}\n".utf8) },
        errors: [(2, 11, "invalid UTF-8 (byte 0xFF at byte offset 28 of the file); save the file as UTF-8")]
    ),
    GeneratedFile(
        name: "invalid-utf8-after-multibyte-characters.yaml",
        bytes: { Array("program: train.py\nname: café € ".utf8) + [0xC3] + Array("\n".utf8) },
        errors: [(2, 14, "invalid UTF-8 (byte 0xC3 at byte offset 34 of the file); save the file as UTF-8")]
    ),
    // The offset counts the 3-byte BOM: 3 + 28.
    GeneratedFile(
        name: "invalid-utf8-after-bom.yaml",
        bytes: { [0xEF, 0xBB, 0xBF] + Array("program: train.py\nmethod: gr".utf8) + [0xFF] + Array("id\n".utf8) },
        errors: [(2, 11, "invalid UTF-8 (byte 0xFF at byte offset 31 of the file); save the file as UTF-8")]
    ),
    GeneratedFile(
        name: "utf8-encoded-surrogate.yaml",
        bytes: { Array("program: train.py\nname: x".utf8) + [0xED, 0xA0, 0x80] + Array("\n".utf8) },
        errors: [(2, 8, "invalid UTF-8 (byte 0xED at byte offset 25 of the file); save the file as UTF-8")]
    ),
    GeneratedFile(
        name: "utf8-truncated-at-end.yaml",
        bytes: { Array("program: train.py\nname: ab".utf8) + [0xE2, 0x82] },
        errors: [(2, 9, "invalid UTF-8 (byte 0xE2 at byte offset 26 of the file); save the file as UTF-8")]
    ),
    GeneratedFile(
        name: "control-character.yaml",
        bytes: { Array("program: train.py\nmethod: gr\u{01}id\nparameters:\n  lr: {values: [0.01]}\n".utf8) },
        errors: [(2, 11, "invalid YAML: control characters are not allowed (U+0001); remove the control character")]
    ),
    // Columns count Unicode scalars: 'café' is 4 of them, 5 bytes.
    GeneratedFile(
        name: "control-character-after-non-ascii.yaml",
        bytes: { Array("program: tréé.py\nname: café\u{01}\n".utf8) },
        errors: [(2, 11, "invalid YAML: control characters are not allowed (U+0001); remove the control character")]
    ),
    // Each "\r\n" ends a line; it is not counted into the next line's columns.
    GeneratedFile(
        name: "control-character-after-crlf.yaml",
        bytes: { Array("program: train.py\r\nname: x\r\nmethod: gr\u{01}id\r\n".utf8) },
        errors: [(3, 11, "invalid YAML: control characters are not allowed (U+0001); remove the control character")]
    ),
    GeneratedFile(
        name: "nesting-1000-block-mappings.yaml",
        bytes: {
            var text = sweepHeader
            for level in 0..<1000 { text += String(repeating: " ", count: 2 + level) + "k\(level):\n" }
            text += String(repeating: " ", count: 1002) + "value: 1\n"
            return Array(text.utf8)
        },
        errors: [(67, 66, "nesting is deeper than 64 levels; a sweep file is configuration and never needs this")]
    ),
    // The quote is part of the plain scalar "a 'b", so the prescan counts the brackets after it.
    GeneratedFile(
        name: "nesting-100000-flow-after-quote.yaml",
        bytes: {
            let depth = 100_000
            let text = sweepHeader + "  lr:\n    values: [a 'b, "
                + String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth) + "]\n"
            return Array(text.utf8)
        },
        errors: [(5, 80, "nesting is deeper than 64 levels; a sweep file is configuration and never needs this")]
    ),
    // Old Mac line ends: YAML reads a lone "\r" as a line break, the prescan does not, so it
    // takes the whole file for the comment on its first line. Three levels here; ten would
    // expand to 10^10 values.
    GeneratedFile(
        name: "aliases-after-comment-and-bare-carriage-returns.yaml",
        bytes: { Array("# sweep\rprogram: train.py\rmethod: grid\rparameters:\r  a0: {values: &a0 [x, x, x]}\r  a1: {values: &a1 [*a0, *a0, *a0]}\r  a2: {values: [*a1, *a1, *a1]}\r".utf8) },
        errors: [
            (5, 16, "anchor '&a0': anchors and aliases are not supported in sweep files; write each value out in full"),
            (6, 16, "anchor '&a1': anchors and aliases are not supported in sweep files; write each value out in full"),
            (6, 21, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
            (6, 26, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
            (6, 31, "alias '*a0': anchors and aliases are not supported in sweep files; write each value out in full"),
            (7, 17, "3 more anchors or aliases from here on; none are supported"),
        ]
    ),
    // After a multi-line plain scalar, the next key's alias is still found...
    GeneratedFile(
        name: "alias-after-multiline-plain-description.yaml",
        bytes: { Array((sweepHeader + "  lr: {values: [0.01, 0.1]}\ndescription: results of this sweep\n  *must* be compared\nname: *n\n").utf8) },
        errors: [(7, 7, "alias '*n': anchors and aliases are not supported in sweep files; write each value out in full")]
    ),
    // ...and a comment ends a plain scalar, so what follows is no continuation of it.
    GeneratedFile(
        name: "alias-after-plain-scalar-and-comment.yaml",
        bytes: { Array((sweepHeader + "  lr: {values: [0.01, 0.1]}\ndescription: results # note\n  *must* be compared\n").utf8) },
        errors: [(6, 3, "alias '*must*': anchors and aliases are not supported in sweep files; write each value out in full")]
    ),
]


/// Valid files close to malformed ones, which must be accepted: brackets that are text, and
/// nesting under the limit.
private let acceptedFiles: [GeneratedFile] = [
    GeneratedFile(
        name: "brackets-in-plain-description.yaml",
        bytes: { Array((sweepHeader + "  lr: {values: [0.01, 0.1]}\ndescription: x " + String(repeating: "[", count: 40) + "\n").utf8) }
    ),
    // Past twice the limit, so that counting these brackets as nesting would refuse the file.
    GeneratedFile(
        name: "200-brackets-in-plain-description.yaml",
        bytes: { Array((sweepHeader + "  lr: {values: [0.01, 0.1]}\ndescription: x " + String(repeating: "[", count: 200) + "\n").utf8) }
    ),
    GeneratedFile(
        name: "nesting-40-flow-in-values.yaml",
        bytes: { Array((sweepHeader + "  lr:\n    values: " + String(repeating: "[", count: 40) + "1" + String(repeating: "]", count: 40) + "\n").utf8) }
    ),
    // Exactly at the limit: the innermost '1' is the 64th level (see nesting-65-flow.yaml).
    GeneratedFile(
        name: "nesting-64-flow-in-values.yaml",
        bytes: { Array((sweepHeader + "  lr:\n    values: " + String(repeating: "[", count: 60) + "1" + String(repeating: "]", count: 60) + "\n").utf8) }
    ),
    GeneratedFile(
        name: "asterisk-in-plain-description.yaml",
        bytes: { Array((sweepHeader + "  lr: {values: [0.01, 0.1]}\ndescription: R&D on lr, see *notes* & [refs]\n").utf8) }
    ),
    // YAML allows '*' at the start of a continuation line; only a scalar's first character may not be one.
    GeneratedFile(
        name: "multiline-plain-description-with-emphasis.yaml",
        bytes: { Array((sweepHeader + "  lr: {values: [0.01, 0.1]}\ndescription: results of this sweep\n  *must* be compared with the baseline\n").utf8) }
    ),
    GeneratedFile(
        name: "multiline-quoted-description-with-emphasis.yaml",
        bytes: { Array((sweepHeader + "  lr: {values: [0.01, 0.1]}\ndescription: \"results of this sweep\n  *must* be compared with the baseline\"\n").utf8) }
    ),
]

/// `line:column: message`, for comparisons whose failures read like compiler output.
private func rendered(_ error: ExpectedError) -> String {
    "\(error.line):\(error.column): \(error.message)"
}

/// The errors of loading `path`, sorted by position then message; nil when the file loads.
private func loadErrors(_ path: String) -> [Diagnostic]? {
    do {
        _ = try SweepFile.load(path: path)
        return nil
    } catch {
        return error.diagnostics.errors.sorted { ($0.location, $0.message) < ($1.location, $1.message) }
    }
}

/// Checks that `path` is refused with exactly `expected`, and that every error is usable: a
/// message, a position inside the file (1-based), and the file's own name.
private func expectRefused(_ path: String, with expected: [ExpectedError]) {
    guard let errors = loadErrors(path) else {
        Issue.record("\(path) was accepted; expected \(expected.map(rendered))")
        return
    }
    #expect(!errors.isEmpty)
    for error in errors {
        #expect(!error.message.isEmpty)
        #expect(error.location.line >= 1)
        #expect(error.location.column >= 1)
        #expect(error.location.file == path)
    }
    let actual = errors.map { rendered(($0.location.line, $0.location.column, $0.message)) }
    #expect(actual == expected.map(rendered))
}

/// Checks that `path` loads without an error.
private func expectAccepted(_ path: String) {
    if let errors = loadErrors(path) {
        Issue.record("\(path) was refused: \(errors.map { rendered(($0.location.line, $0.location.column, $0.message)) })")
    }
}

/// The committed fixture at `name`.
private func fixturePath(_ name: String) -> String {
    Support.fixtures.appendingPathComponent("malformed").appendingPathComponent(name).path
}

/// Writes `generated` to a fresh temporary folder and passes its path to `body`.
private func withFile(_ generated: GeneratedFile, _ body: (String) -> Void) throws {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("sweep-malformed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent(generated.name)
    try Data(generated.bytes()).write(to: url)
    body(url.path)
}

/// Files refused with 'method' errors, which once also got the warning that a random search
/// without 'run_cap' draws a default number of configurations.
private let filesWithABadMethodOrRunCap = [
    "crlf-line-endings.yaml", "method-as-list.yaml", "method-bayes.yaml", "missing-method.yaml",
    "run-cap-float.yaml", "unknown-method.yaml",
]

@Suite("Malformed sweep files", .timeLimit(.minutes(1)))
struct MalformedFileTests {
    @Test("A committed malformed file is refused with exact positions and messages", arguments: refusedFiles)
    func committedFileIsRefused(file: String, errors: [ExpectedError]) {
        expectRefused(fixturePath(file), with: errors)
    }

    @Test("A committed file with wrong output today is a known issue", arguments: knownIssues)
    func committedFileWithKnownIssue(file: String, issue: String, errors: [ExpectedError]) {
        withKnownIssue(Comment(rawValue: issue)) {
            expectRefused(fixturePath(file), with: errors)
        }
    }

    @Test("A generated malformed file is refused with exact positions and messages", arguments: generatedFiles)
    func generatedFileIsRefused(_ generated: GeneratedFile) throws {
        try withFile(generated) { expectRefused($0, with: generated.errors) }
    }

    @Test("A valid file close to a malformed one is accepted", arguments: acceptedFiles)
    func validFileIsAccepted(_ generated: GeneratedFile) throws {
        try withFile(generated) { path in
            if let issue = generated.knownIssue {
                withKnownIssue(Comment(rawValue: issue)) { expectAccepted(path) }
            } else {
                expectAccepted(path)
            }
        }
    }

    /// Ten lines that expand to 10^10 values if aliases are followed are refused at once.
    @Test func aliasBombIsRefusedBeforeItIsExpanded() {
        let path = fixturePath("alias-bomb-ten-levels.yaml")
        var errors: [Diagnostic]?
        let elapsed = ContinuousClock().measure { errors = loadErrors(path) }
        #expect(errors?.isEmpty == false)
        #expect(elapsed < .seconds(10))  // 10^10 values would take hours
    }

    /// A file with several problems reports all of them at once, in position order, as
    /// `sweep validate` prints them.
    @Test func severalErrorsAreAllReportedInPositionOrder() throws {
        let path = fixturePath("several-errors.yaml")
        let error = try #require(throws: SweepFileError.self) { try SweepFile.load(path: path) }
        let expected = try #require(refusedFiles.first { $0.file == "several-errors.yaml" }).errors
        #expect(error.diagnostics.errors.count == 6)
        let printed = error.description.split(separator: "\n").map(String.init)
        #expect(printed == expected.map { "\(path):\($0.line):\($0.column): error: \($0.message)" })
    }

    /// The warning about a random search without 'run_cap' is not added to a file whose
    /// 'method' or 'run_cap' is itself in error.
    @Test("A refused file with a bad method or run_cap gets no run_cap warning", arguments: filesWithABadMethodOrRunCap)
    func noRunCapWarningBesideAMethodError(file: String) throws {
        let error = try #require(throws: SweepFileError.self) { try SweepFile.load(path: fixturePath(file)) }
        #expect(error.diagnostics.warnings.map(\.message) == [])
    }

    /// The warning still appears where it applies: random or sobol, sampled parameters, no 'run_cap'.
    @Test func runCapWarningAppearsOnlyWhereItApplies() throws {
        let parameters = "program: train.py\nparameters: {lr: {min: 0.0, max: 1.0}}\n"
        for method in ["random", "sobol"] {
            let warnings = try SweepFile.parse(text: "method: \(method)\n" + parameters, file: "w.yaml").warnings
            #expect(warnings.map(\.description) == [
                "w.yaml:1:9: warning: \(method) search without 'run_cap' draws \(Expander.defaultDrawCount) configurations; set run_cap to choose how many",
            ])
            #expect(try SweepFile.parse(text: "method: \(method)\nrun_cap: 5\n" + parameters).warnings.isEmpty)
        }
    }

    /// Every committed fixture appears in one of the tables, so none is left unchecked.
    @Test func everyCommittedFixtureIsChecked() throws {
        let folder = Support.fixtures.appendingPathComponent("malformed")
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        let listed = refusedFiles.map(\.file) + knownIssues.map(\.file)
        #expect(Set(listed).count == listed.count, "a file is listed twice")
        #expect(present == Set(listed))
        #expect(present.count >= 30)
    }
}

extension MalformedFileTests {
    /// One error a malformed sweep file must produce: its 1-based position and exact message.
    typealias ExpectedError = (line: Int, column: Int, message: String)

    /// A file written at test time: too large to commit, bytes that are not text, or text
    /// built from repeated parts.
    struct GeneratedFile: Sendable, CustomTestStringConvertible {
        /// The file name, which says what is in it.
        let name: String
        /// The file's contents.
        let bytes: @Sendable () -> [UInt8]
        /// The errors it must produce, in position order; empty for a valid file.
        let errors: [ExpectedError]
        /// Why today's output differs from `errors`, for a file checked under `withKnownIssue`.
        let knownIssue: String?

        init(name: String, bytes: @escaping @Sendable () -> [UInt8], errors: [ExpectedError] = [], knownIssue: String? = nil) {
            self.name = name
            self.bytes = bytes
            self.errors = errors
            self.knownIssue = knownIssue
        }

        var testDescription: String { name }
    }
}

/// Where a repeated key of a flow mapping is reported, in the shapes such mappings take.
@Suite("Duplicate keys in flow mappings")
struct FlowDuplicateKeyTests {
    /// The position of the single error `text` is refused with.
    private func position(_ text: String) -> String? {
        do {
            _ = try SweepFile.parse(text: text, file: "f.yaml")
            return nil
        } catch {
            return error.diagnostics.errors.map { "\($0.location.line):\($0.location.column)" }.joined(separator: " ")
        }
    }

    @Test("the repeat is found past nested mappings, lists, quoted text and comments, and in quoted form")
    func positions() {
        let header = "program: train.py\nmethod: grid\n"
        // Nested mapping and list holding the same word, then the repeat.
        #expect(position(header + "parameters: {lr: {values: [1, 2]}, wd: {value: 1}, lr: {value: 3}}\n") == "3:52")
        // A quoted string holding ", lr:" is not a key.
        #expect(position(header + "parameters: {lr: {value: \"a, lr: b\"}, 'lr': {value: 2}}\n") == "3:39")
        // Over several lines, with a comment that mentions the key.
        #expect(position(header + "parameters: {\n  lr: {value: 1},  # lr: again below\n  wd: {value: 2},\n  \"lr\": {value: 3}}\n") == "6:3")
        // A block mapping still reports the repeated key's own line.
        #expect(position(header + "parameters:\n  lr: {value: 1}\n  lr: {value: 2}\n") == "5:3")
    }
}

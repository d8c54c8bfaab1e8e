import Agents
import Environments

/// The JSON Schema (draft 2020-12) of sweep specs, generated from the same tables the decoder
/// validates against (`Spec.topLevelKeys`, each algorithm's `ParamDef`s), so the two cannot drift.
/// experiments/schema.json is this output; a test keeps the committed file equal to it.
public func specJSONSchema() -> JSON {
    let randomSearchSchema: JSON = .object([("$ref", .string("#/$defs/random_search"))])
    func paramSchema(_ p: ParamDef) -> JSON {
        var o: [(key: String, value: JSON)] = [("description", .string(p.doc)), ("default", p.defaultValue.json)]
        switch p.kind {
        case let .int(lo, hi):
            o += [("type", .string("integer")), ("minimum", .int(lo)), ("maximum", .int(min(hi, Spec.maxInteger)))]
        case let .number(lo, hi, ex):
            o += [("type", .string("number")), (ex ? "exclusiveMinimum" : "minimum", .number(lo))]
            if hi != .infinity { o.append(("maximum", .number(hi))) }
        case .bool: o.append(("type", .string("boolean")))
        case .choice(let c): o.append(("enum", .array(c.map { .string($0) })))
        case let .intList(n, lo, hi):
            o += [("type", .string("array")), ("minItems", .int(n)), ("maxItems", .int(ParamKind.maxListCount)),
                  ("items", .object([("type", .string("integer")), ("minimum", .int(lo)), ("maximum", .int(hi))]))]
        }
        return .object(o)
    }
    func gridSchema(_ sw: [(key: String, value: JSON)]) -> JSON {
        .object([("type", .string("object")), ("additionalProperties", .bool(false)), ("properties", .object(sw))])
    }
    let algoBranches: [JSON] = Algorithms.all.map { a in
        let hp: [(key: String, value: JSON)] = a.params.map { ($0.name, paramSchema($0)) }
        let sw: [(key: String, value: JSON)] = a.params.map { p in
            let list: JSON = .object([("type", .string("array")), ("minItems", .int(1)), ("uniqueItems", .bool(true)), ("items", paramSchema(p))])
            return (p.name, .object([("oneOf", .array([list, randomSearchSchema]))]))
        }
        return .object([
            ("if", .object([("properties", .object([("algo", .object([("const", .string(a.name))]))]))])),
            ("then", .object([("properties", .object([
                ("hyperparameters", .object([("type", .string("object")), ("additionalProperties", .bool(false)), ("properties", .object(hp))])),
                ("sweep", .object([("oneOf", .array([gridSchema(sw), .object([("type", .string("array")), ("minItems", .int(1)), ("items", gridSchema(sw))])]))])),
            ]))])),
        ])
    }
    let partProperties: [(key: String, value: JSON)] = [
        ("label", .object([("type", .string("string")), ("pattern", .string(Spec.namePattern)), ("maxLength", .int(60)),
                           ("description", .string("the part's name in run labels and the report (default: its algo)"))])),
        ("env", .object([("anyOf", .array([
            .object([("enum", .array(Environments.ids.map { .string($0) }))]),
            .object([("type", .string("string")), ("pattern", .string("^gym:\\S+$")), ("maxLength", .int(200)),
                     ("description", .string("any Gymnasium id through the bridge, e.g. gym:ALE/Pong-v5 (env_kwargs go to gym.make)"))]),
        ]))])),
        ("wrappers", .object([
            ("type", .string("array")), ("maxItems", .int(16)),
            ("description", .string("bridged environments only: wrappers from gymnasium.wrappers, applied in order")),
            ("items", .object([("anyOf", .array([
                .object([("type", .string("string"))]),
                .object([("type", .string("object")), ("additionalProperties", .bool(false)), ("required", .array([.string("name")])),
                         ("properties", .object([("name", .object([("type", .string("string"))])), ("kwargs", .object([("type", .string("object"))]))]))]),
            ]))])),
        ])),
        ("env_kwargs", .object([
                ("type", .string("object")),
                ("description", .string("options of the environment (gym.make keyword arguments); which ones an environment takes: `rlexp env list`")),
                ("properties", .object(envOptionSchemas())),
            ])),
        ("algo", .object([("enum", .array(Algorithms.all.map { .string($0.name) }))])),
        ("total_steps", .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(Spec.maxSteps)), ("description", .string("environment steps per run"))])),
        ("eval", .object([
                ("type", .string("object")), ("additionalProperties", .bool(false)),
                ("description", .string("greedy evaluation every `interval` env steps, mean return of `episodes` episodes")),
                ("properties", .object([
                    ("interval", .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(Spec.maxSteps)), ("default", .int(10_000))])),
                    ("episodes", .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(10_000)), ("default", .int(10))])),
                ])),
            ])),
        ("hyperparameters", .object([("type", .string("object"))])),
        ("search_seed", .object([("type", .string("integer")), ("minimum", .int(0)), ("default", .int(0)),
                                     ("description", .string("seeds the random searches of `sweep`"))])),
        ("threshold", .object([("type", .string("number")),
                               ("description", .string("reference return for env steps to threshold in the report (default: the environment's solve threshold)"))])),
        ("record", .object([
                ("type", .string("object")), ("additionalProperties", .bool(false)),
                ("description", .string("episodes each run records into run.h5's /trajectories, every step with the behaviour policy's statistics and value estimate (default: none); `rlexp export --format minari` turns them into a Minari dataset")),
                ("properties", .object([
                    ("eval", .object([("type", .string("boolean")), ("default", .bool(false)), ("description", .string("record every greedy evaluation episode"))])),
                    ("train_every", .object([("type", .string("integer")), ("minimum", .int(0)), ("maximum", .int(Spec.maxSteps)), ("default", .int(0)),
                                             ("description", .string("record training episodes k, 2k, 3k, … (0: none)"))])),
                    ("train_last", .object([("type", .string("integer")), ("minimum", .int(0)), ("maximum", .int(100_000)), ("default", .int(0)),
                                            ("description", .string("record the last n training episodes of each run (0: none)"))])),
                ])),
            ])),
        ("sweep", .object([("description", .string("a grid (object: hyperparameter → list of values) or a list of grids whose union is run")),
                               ("type", .array([.string("object"), .string("array")]))])),
    ]
    return .object([
        ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
        ("$defs", .object([("random_search", .object([
            ("description", .string("a seeded random search: n values drawn log-uniformly or uniformly from [low, high], or from a list")),
            ("type", .string("object")), ("additionalProperties", .bool(false)), ("required", .array([.string("samples")])),
            ("properties", .object([
                ("log_uniform", .object([("type", .string("array")), ("minItems", .int(2)), ("maxItems", .int(2)), ("items", .object([("type", .string("number")), ("exclusiveMinimum", .int(0))]))])),
                ("uniform", .object([("type", .string("array")), ("minItems", .int(2)), ("maxItems", .int(2)), ("items", .object([("type", .string("number"))]))])),
                ("choice", .object([("type", .string("array")), ("minItems", .int(1))])),
                ("samples", .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(10_000))])),
            ])),
            ("oneOf", .array(Spec.searchKinds.map { .object([("required", .array([.string($0)]))]) })),
        ]))])),
        ("$id", .string("https://rlexp.invalid/schema/spec.json")),
        ("title", .string("rlexp sweep spec")),
        ("description", .string("Generated by `rlexp schema` from the decoder's tables; do not edit by hand.")),
        ("type", .string("object")),
        ("additionalProperties", .bool(false)),
        ("anyOf", .array([.object([("required", .array(["env", "algo", "total_steps"].map { .string($0) }))]),
                          .object([("required", .array([.string("parts")]))])])),
        ("properties", .object(partProperties.filter { $0.key != "label" } + [
            ("name", .object([("type", .string("string")), ("pattern", .string(Spec.namePattern)), ("maxLength", .int(Spec.maxNameLength)),
                              ("description", .string("names the results folder (default: the file name)"))])),
            ("description", .object([("type", .string("string"))])),
            ("seeds", .object([
                ("description", .string("a seed count n (seeds 0…n−1) or a list of distinct seeds")),
                ("oneOf", .array([
                    .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(10_000))]),
                    .object([("type", .string("array")), ("minItems", .int(1)), ("uniqueItems", .bool(true)),
                             ("items", .object([("type", .string("integer")), ("minimum", .int(0))]))]),
                ])),
            ])),
            ("checkpoint_every", .object([("type", .string("integer")), ("minimum", .int(0)), ("maximum", .int(Spec.maxSteps)), ("default", .int(Spec.defaultCheckpointEvery)),
                                          ("description", .string("environment steps between full-state checkpoints of each run (0: none); a killed run resumes from its newest one"))])),
            ("parts", .object([
                ("description", .string("a multi-part spec: each part (one env and algo, its hyperparameters and sweep) overrides the top-level fields; the parts share seeds, results folder and report")),
                ("type", .string("array")), ("minItems", .int(1)), ("maxItems", .int(Spec.maxParts)),
                ("items", .object([("type", .string("object")), ("additionalProperties", .bool(false)), ("properties", .object(partProperties)),
                                   ("allOf", .array(algoBranches))])),
            ])),
        ])),
        ("allOf", .array(algoBranches)),
    ])
}

/// Every environment option any built-in environment has (the decoder checks them per environment).
func envOptionSchemas() -> [(key: String, value: JSON)] {
    var seen = Set<String>(), out: [(key: String, value: JSON)] = []
    for spec in Environments.registry {
        for o in spec.options where seen.insert(o.name).inserted {
            var d: [(key: String, value: JSON)] = [("description", .string(o.doc))]
            switch o.defaultValue {
            case .bool(let b): d += [("type", .string("boolean")), ("default", .bool(b))]
            case .string(let x): d += [("type", .string("string")), ("default", .string(x))]
            case .number(let x):
                d += [("type", .string("number")), ("default", .number(x))]
                if let r = o.range { d += [("minimum", .number(r.lowerBound)), ("maximum", .number(r.upperBound))] }
            }
            out.append((o.name, .object(d)))
        }
    }
    return out
}

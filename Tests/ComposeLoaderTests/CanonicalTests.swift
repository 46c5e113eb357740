import ComposeLoader
import ComposeModel
import Testing

/// Expected values are what `docker compose config --format json` (v2.40.3) printed for the same
/// input, before path resolution (relative sources stay relative here; Normalize resolves them).
@Suite("Canonical: short syntax to the long form Docker Compose prints")
struct CanonicalTests {
    /// `field: value` under service `a`, canonicalised; returns the field's value.
    private func service(_ field: String, _ yaml: String) throws -> ComposeNode? {
        let text = "services:\n  a:\n    image: x\n    \(field): \(yaml)\n"
        let doc = try #require(try YAMLReader.documents(text, file: "t.yml").first)
        return try Canonical.apply(doc)["services"]?["a"]?[field]
    }

    private func json(_ text: String) throws -> ComposeNode { try ComposeJSON.parse(text) }

    private func error(_ field: String, _ yaml: String) -> ComposeError? {
        do {
            _ = try service(field, yaml)
            return nil
        } catch let e as ComposeError {
            return e
        } catch {
            return nil
        }
    }

    // MARK: ports

    @Test("short ports", arguments: [
        ("\"80\"", #"[{"mode":"ingress","target":80,"protocol":"tcp"}]"#),
        ("81", #"[{"mode":"ingress","target":81,"protocol":"tcp"}]"#),
        ("\"8080:80\"", #"[{"mode":"ingress","target":80,"published":"8080","protocol":"tcp"}]"#),
        ("\"127.0.0.1:8081:80\"", #"[{"mode":"ingress","host_ip":"127.0.0.1","target":80,"published":"8081","protocol":"tcp"}]"#),
        ("\"127.0.0.1::82\"", #"[{"mode":"ingress","host_ip":"127.0.0.1","target":82,"protocol":"tcp"}]"#),
        ("\"[::1]:8082:80\"", #"[{"mode":"ingress","host_ip":"::1","target":80,"published":"8082","protocol":"tcp"}]"#),
        ("\"[::1]::80\"", #"[{"mode":"ingress","host_ip":"::1","target":80,"protocol":"tcp"}]"#),
        ("\"9000-9002:9000-9002\"", #"[{"mode":"ingress","target":9000,"published":"9000","protocol":"tcp"},{"mode":"ingress","target":9001,"published":"9001","protocol":"tcp"},{"mode":"ingress","target":9002,"published":"9002","protocol":"tcp"}]"#),
        ("\"8-10:8-10\"", #"[{"mode":"ingress","target":10,"published":"10","protocol":"tcp"},{"mode":"ingress","target":8,"published":"8","protocol":"tcp"},{"mode":"ingress","target":9,"published":"9","protocol":"tcp"}]"#),
        ("\"7000-7005:70\"", #"[{"mode":"ingress","target":70,"published":"7000-7005","protocol":"tcp"}]"#),
        ("\"60000-60001\"", #"[{"mode":"ingress","target":60000,"protocol":"tcp"},{"mode":"ingress","target":60001,"protocol":"tcp"}]"#),
        ("\"53:53/udp\"", #"[{"mode":"ingress","target":53,"published":"53","protocol":"udp"}]"#),
        ("\"54:54/tcp\"", #"[{"mode":"ingress","target":54,"published":"54","protocol":"tcp"}]"#),
        ("\"56/UDP\"", #"[{"mode":"ingress","target":56,"protocol":"udp"}]"#),
        ("\"55/sctp\"", #"[{"mode":"ingress","target":55,"protocol":"sctp"}]"#),
        ("\"80/\"", #"[{"mode":"ingress","target":80,"protocol":"tcp"}]"#),
        ("\":3001:3001\"", #"[{"mode":"ingress","target":3001,"published":"3001","protocol":"tcp"}]"#),
        ("\"::3002\"", #"[{"mode":"ingress","target":3002,"protocol":"tcp"}]"#),
        ("\"8080-8081:80-81/udp\"", #"[{"mode":"ingress","target":80,"published":"8080","protocol":"udp"},{"mode":"ingress","target":81,"published":"8081","protocol":"udp"}]"#),
        ("\"1-2-3\"", #"[{"mode":"ingress","target":1,"protocol":"tcp"},{"mode":"ingress","target":2,"protocol":"tcp"}]"#),
        ("\"080\"", #"[{"mode":"ingress","target":80,"protocol":"tcp"}]"#),
        ("\"::1:80:80\"", #"[{"mode":"ingress","host_ip":"::1","target":80,"published":"80","protocol":"tcp"}]"#),
        ("\"1:2:3:4:5:6:7:8:80:80\"", #"[{"mode":"ingress","host_ip":"1:2:3:4:5:6:7:8","target":80,"published":"80","protocol":"tcp"}]"#),
        ("{target: 90}", #"[{"mode":"ingress","target":90,"protocol":"tcp"}]"#),
        ("{target: 91, published: 9191, protocol: udp}", #"[{"mode":"ingress","target":91,"published":"9191","protocol":"udp"}]"#),
        ("{target: \"80\", published: \"8000-8001\"}", #"[{"mode":"ingress","target":80,"published":"8000-8001","protocol":"tcp"}]"#),
        ("{target: 92, published: \"9292\", host_ip: 0.0.0.0, mode: host, name: web, app_protocol: http}",
         #"[{"name":"web","mode":"host","host_ip":"0.0.0.0","target":92,"published":"9292","protocol":"tcp","app_protocol":"http"}]"#),
    ])
    func shortPorts(input: String, expected: String) throws {
        #expect(try service("ports", "[\(input)]") == json(expected))
    }

    /// The message Docker Compose 2.40.3 printed for the same entry is part of ours.
    @Test("bad ports name the entry and say what is wrong", arguments: [
        ("abc", "invalid containerPort: abc"),
        ("8080:abc", "invalid containerPort: abc"),
        ("70000", "invalid containerPort: 70000"),
        ("80-78", "invalid containerPort: 80-78"),
        ("80-", "invalid containerPort: 80-"),
        (" 80", "invalid containerPort:  80"),
        ("-1", "invalid containerPort: -1"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("1.2.3:abc:80", "invalid IP address: 1.2.3"),
        ("a:b:c:d:80", "invalid IP address: a:b:c"),
        ("[fe80::1%eth0]:80:80", "invalid IP address: fe80::1%eth0"),
        ("[::1:80:80", "invalid IP address [::1: address [::1:: missing ']' in address"),
        ("[::1]x:80:80", "invalid IP address [::1]x: address [::1]x:: missing port in address"),
        ("[::1]:80:80:80", "invalid IP address [::1]:80: address [::1]:80:: too many colons in address"),
        ("[[::1]]:80:80", "invalid IP address [[::1]]: address [[::1]]:: missing port in address"),
        ("80/xyz", "invalid proto: xyz"),
        ("abc/xyz", "invalid proto: xyz"),
        ("8080:80/udp/x", "invalid proto: udp/x"),
        ("80:80/tcp/", "invalid proto: tcp/"),
        ("80:/tcp", "invalid proto: "),
        ("", "invalid proto: "),
        ("1.2.3.4:80", "invalid hostPort: 1.2.3.4"),
        ("9001-9000:80", "invalid hostPort: 9001-9000"),
        ("9000-9001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 9000-9001"),
        ("8080:0", "is missing a target port"),
        ("0", "is missing a target port"),
    ])
    func badPorts(spec: String, message: String) throws {
        let e = try #require(error("ports", "\n      - \"81\"\n      - \"\(spec)\""))
        #expect(e.path == "services.a.ports[1]")
        #expect(e.message.contains(message), "\(e.message)")
        #expect(e.mark?.line == 6)
    }

    // MARK: volumes

    @Test("short volumes", arguments: [
        ("/data", #"{"type":"volume","target":"/data","volume":{}}"#),
        ("vol:/data2", #"{"type":"volume","source":"vol","target":"/data2","volume":{}}"#),
        ("vol:/data3:ro", #"{"type":"volume","source":"vol","target":"/data3","read_only":true,"volume":{}}"#),
        ("./src:/src", #"{"type":"bind","source":"./src","target":"/src","bind":{"create_host_path":true}}"#),
        ("./src:/src2:rw", #"{"type":"bind","source":"./src","target":"/src2","bind":{"create_host_path":true}}"#),
        ("/abs:/abs:ro,z", #"{"type":"bind","source":"/abs","target":"/abs","read_only":true,"bind":{"selinux":"z","create_host_path":true}}"#),
        ("~/h:/h:Z", #"{"type":"bind","source":"~/h","target":"/h","bind":{"selinux":"Z","create_host_path":true}}"#),
        ("/p:/p:rshared", #"{"type":"bind","source":"/p","target":"/p","bind":{"propagation":"rshared","create_host_path":true}}"#),
        ("vol:/nc:nocopy", #"{"type":"volume","source":"vol","target":"/nc","volume":{"nocopy":true}}"#),
        ("vol:/nc2:ro,nocopy", #"{"type":"volume","source":"vol","target":"/nc2","read_only":true,"volume":{"nocopy":true}}"#),
        ("/x:/y:cached,ro", #"{"type":"bind","source":"/x","target":"/y","read_only":true,"bind":{"create_host_path":true}}"#),
        ("/t/:/t/", #"{"type":"bind","source":"/t/","target":"/t","bind":{"create_host_path":true}}"#),
        ("/t:/u//v/../w/", #"{"type":"bind","source":"/t","target":"/u/w","bind":{"create_host_path":true}}"#),
        ("../up:/up", #"{"type":"bind","source":"../up","target":"/up","bind":{"create_host_path":true}}"#),
        (".:/dot", #"{"type":"bind","source":".","target":"/dot","bind":{"create_host_path":true}}"#),
        ("C:\\x:/win", #"{"type":"bind","source":"C:\\x","target":"/win","bind":{"create_host_path":true}}"#),
        ("c:/x", #"{"type":"volume","target":"c:/x","volume":{}}"#),
        ("ab", #"{"type":"volume","target":"ab"}"#),
        ("a::b", #"{"type":"bind","source":"a:","target":"b","bind":{"create_host_path":true}}"#),
        ("vol:/q:shared,Z,ro", #"{"type":"volume","source":"vol","target":"/q","read_only":true,"bind":{"selinux":"Z","propagation":"shared"},"volume":{}}"#),
        ("a:b:c:d:80", #"{"type":"bind","source":"a:b","target":"c:d","bind":{"create_host_path":true}}"#),
        ("/a:/b:foo", #"{"type":"bind","source":"/a","target":"/b","bind":{"create_host_path":true}}"#),
    ])
    func shortVolumes(input: String, expected: String) throws {
        let out = try #require(try service("volumes", "['\(input)']")?.array)
        #expect(out == [try json(expected)])
    }

    @Test("long volumes: target cleaned, read_only as a boolean")
    func longVolumes() throws {
        let out = try service("volumes", "[{type: bind, source: /a, target: /a/, read_only: 'true'}]")
        #expect(out == (try json(#"[{"type":"bind","source":"/a","target":"/a","read_only":true}]"#)))
    }

    @Test("bad volumes", arguments: [
        (":/x", "invalid spec: :/x: empty section between colons"),
        ("vol:", "invalid spec: vol:: empty section between colons"),
        ("/a:/b:", "invalid spec: /a:/b:: empty section between colons"),
        ("[::1]x:80:80", "invalid spec: [::1]x:80:80: empty section between colons"),
        ("/a:/b:ro:x", "invalid spec: /a:/b:ro:x: too many colons"),
        ("", "invalid empty volume spec"),
    ])
    func badVolumes(spec: String, message: String) throws {
        let e = try #require(error("volumes", "['\(spec)']"))
        #expect(e.path == "services.a.volumes[0]")
        #expect(e.message.contains(message), "\(e.message)")
        #expect(e.mark?.line == 4)
    }

    // MARK: mappings

    @Test("list and mapping fields", arguments: [
        ("environment", "[A=1, B, C=, D=x=y, 'E= 2 ', A=3]", #"{"A":"3","B":null,"C":"","D":"x=y","E":" 2 "}"#),
        ("environment", "[' E=2']", #"{" E":"2"}"#),
        ("environment", "{A: 1, B: null, C: '', D: true, E: 1.5}", #"{"A":"1","B":null,"C":"","D":"true","E":"1.5"}"#),
        ("labels", "[l1=v, l2, l3=]", #"{"l1":"v","l2":"","l3":""}"#),
        ("labels", "{a: 1, b: null, c: true}", #"{"a":"1","b":"","c":"true"}"#),
        ("annotations", "[an1=v, an2]", #"{"an1":"v","an2":""}"#),
        ("sysctls", "[net.core.somaxconn=1024, net.ipv4.x]", #"{"net.core.somaxconn":"1024","net.ipv4.x":""}"#),
        ("sysctls", "{net.core.somaxconn: 1024}", #"{"net.core.somaxconn":"1024"}"#),
        ("extra_hosts", "['h2=5.6.7.8', 'h1:1.2.3.4', 'h3:::1', 'h4=::1', 'h1:9.9.9.9']", #"["h1=1.2.3.4","h1=9.9.9.9","h2=5.6.7.8","h3=::1","h4=::1"]"#),
        ("extra_hosts", "{h: 1.1.1.1, g: [3.3.3.3, 2.2.2.2]}", #"["g=2.2.2.2","g=3.3.3.3","h=1.1.1.1"]"#),
        ("extra_hosts", "['h:1.1.1.1,2.2.2.2', 'g=::1,3.3.3.3', 'i:a,,b', 'j:']", #"["g=3.3.3.3","g=::1","h=1.1.1.1","h=2.2.2.2","i=","i=a","i=b","j="]"#),
        ("extra_hosts", "{h: '1.1.1.1,2.2.2.2', g: ['3.3.3.3,4.4.4.4']}", #"["g=3.3.3.3,4.4.4.4","h=1.1.1.1,2.2.2.2"]"#),
        ("networks", "[n1, n2]", #"{"n1":null,"n2":null}"#),
        ("networks", "{n1: {aliases: [x]}, n2: null}", #"{"n1":{"aliases":["x"]},"n2":null}"#),
        ("depends_on", "[b]", #"{"b":{"condition":"service_started","required":true}}"#),
        ("depends_on", "{b: {condition: service_started, restart: true}, c: {condition: service_completed_successfully, required: false}}",
         #"{"b":{"condition":"service_started","restart":true,"required":true},"c":{"condition":"service_completed_successfully","required":false}}"#),
        ("env_file", "a.env", #"[{"path":"a.env","required":true}]"#),
        ("env_file", "[{path: b.env, required: false}, c.env, {path: d.env}]", #"[{"path":"b.env","required":false},{"path":"c.env","required":true},{"path":"d.env","required":true}]"#),
        ("secrets", "[s1, {source: s2, target: /x}]", #"[{"source":"s1"},{"source":"s2","target":"/x"}]"#),
        ("configs", "[c1]", #"[{"source":"c1"}]"#),
        ("ulimits", "{nproc: 65535, nofile: {soft: 1, hard: 2}, core: '0', stack: {soft: '10', hard: 20}}", #"{"nproc":65535,"nofile":{"soft":1,"hard":2},"core":0,"stack":{"soft":10,"hard":20}}"#),
        ("devices", "[/dev/a, '/dev/b:/dev/c', '/dev/d:/dev/e:r', {source: /dev/x, target: /dev/y}]",
         #"[{"source":"/dev/a","target":"/dev/a","permissions":"rwm"},{"source":"/dev/b","target":"/dev/c","permissions":"rwm"},{"source":"/dev/d","target":"/dev/e","permissions":"r"},{"source":"/dev/x","target":"/dev/y"}]"#),
        ("gpus", "all", #"[{"count":-1}]"#),
        ("gpus", "[{driver: nvidia, count: 2}, {device_ids: ['0']}, {driver: x}]", #"[{"driver":"nvidia","count":2},{"device_ids":["0"]},{"driver":"x","count":-1}]"#),
        ("dns", "8.8.8.8", #"["8.8.8.8"]"#),
        ("dns", "['', 1.1.1.1, null]", #"["1.1.1.1"]"#),
        ("dns_search", "example.com", #"["example.com"]"#),
        ("tmpfs", "/run", #"["/run"]"#),
        ("expose", "[80, '81']", #"["80","81"]"#),
        ("command", "echo hi", #"["echo","hi"]"#),
        ("command", #"'sh -c "echo \"q\" ''s x''" a\ b  c\\d'"#, #"["sh","-c","echo \"q\" 's x'","a b","c\\d"]"#),
        ("command", "'echo a; echo b'", #"["echo","a"]"#),
        ("command", "[echo, hi]", #"["echo","hi"]"#),
        ("command", "'node x 8090 2>&1'", #"["node","x","8090"]"#),
        ("command", "'echo 2 12a>x'", #"["echo","2"]"#),
        ("command", "'echo a\\tb'", #"["echo","atb"]"#),
        ("command", #"'echo $(a "b c" \x) y'"#, #"["echo","$(a \"b c\" x)","y"]"#),
        ("command", "'echo a)b) c'", #"["echo","a)b)","c"]"#),
        ("command", "'echo x$(a;b) c'", #"["echo","x$(a;b)","c"]"#),
        ("command", "'a `b` $(c `d` e) f'", #"["a","`b`","$(c `d` e)","f"]"#),
        ("command", #"'echo `a "b c" \x` y'"#, #"["echo","`a b c x`","y"]"#),
        ("entrypoint", "''", "[]"),
        ("healthcheck", "{test: curl x, interval: 10s}", #"{"test":["CMD-SHELL","curl x"],"interval":"10s"}"#),
        ("healthcheck", "{test: [CMD, 'true']}", #"{"test":["CMD","true"]}"#),
        ("logging", "{driver: json-file, options: {max-size: 10m, max-file: 3}}", #"{"driver":"json-file","options":{"max-size":"10m","max-file":"3"}}"#),
        ("build", "./dir", #"{"context":"./dir"}"#),
        ("build", "{ssh: {k: /p, default: null}}", #"{"context":".","ssh":["default","k=/p"]}"#),
        ("build", "{dockerfile: Dfile, args: [X=1, Y], labels: [bl=1, bl2], extra_hosts: ['bh:1.1.1.1'], secrets: [s1], additional_contexts: [ctx=./x], ssh: [default, k=/p]}",
         #"{"context":".","dockerfile":"Dfile","args":{"X":"1","Y":null},"labels":{"bl":"1","bl2":""},"extra_hosts":["bh=1.1.1.1"],"secrets":[{"source":"s1"}],"additional_contexts":{"ctx":"./x"},"ssh":["default","k=/p"]}"#),
        ("deploy", "{labels: [dl=1, dl2], resources: {limits: {cpus: '0.5', memory: 50M}, reservations: {devices: [{capabilities: [gpu]}]}}}",
         #"{"labels":{"dl":"1","dl2":""},"resources":{"limits":{"cpus":0.5,"memory":"50M"},"reservations":{"devices":[{"capabilities":["gpu"],"count":-1}]}}}"#),
    ])
    func fields(field: String, input: String, expected: String) throws {
        #expect(try service(field, input) == json(expected))
    }

    @Test("bad short syntax elsewhere", arguments: [
        ("environment", "[' E =2']", "services.a.environment[0]", "environment variable  E  is declared with a trailing space"),
        ("environment", "['E =2']", "services.a.environment[0]", "environment variable E  is declared with a trailing space"),
        ("environment", "['F\t=3']", "services.a.environment[0]", "environment variable F\t is declared with a trailing space"),
        ("extra_hosts", "['h1 1.2.3.4']", "services.a.extra_hosts[0]", "invalid additional host, missing IP: h1 1.2.3.4"),
        ("devices", "['/a:/b:rwm:x']", "services.a.devices[0]", "confusing device mapping, please use long syntax: /a:/b:rwm:x"),
        ("command", "'echo \"open'", "services.a.command", "invalid command line string"),
        ("gpus", "[{count: 1, device_ids: ['0']}]", "services.a.gpus[0]", "\"count\" and \"device_ids\" attributes are exclusive"),
        ("build", "{additional_contexts: [ctx]}", "services.a.build.additional_contexts[0]", "invalid value ctx, expected key=value"),
        ("build", "{ssh: [foo]}", "services.a.build.ssh[0]", "invalid ssh key \"foo\""),
        ("command", "'echo (a)'", "services.a.command", "invalid command line string"),
        ("command", "'echo a) b'", "services.a.command", "invalid command line string"),
        ("command", "'echo $(a $(b))'", "services.a.command", "invalid command line string"),
    ])
    func badFields(field: String, input: String, path: String, message: String) throws {
        let e = try #require(error(field, input))
        #expect(e.path == path)
        #expect(e.message.contains(message), "\(e.message)")
        #expect(e.mark?.line == 4)
    }

    // MARK: resources

    @Test("legacy external.name becomes name with external: true, with a warning")
    func legacyExternal() throws {
        let text = """
        networks:
          n1: {external: {name: bar}}
          n2: {external: true, name: foo}
        volumes:
          v1: {labels: [x=1, y], driver_opts: {a: 1}}
          v2:
        """
        let doc = try #require(try YAMLReader.documents(text, file: "t.yml").first)
        var warnings: [String] = []
        let out = try Canonical.apply(doc, warn: { warnings.append($0) })
        #expect(out["networks"] == (try json(#"{"n1":{"external":true,"name":"bar"},"n2":{"external":true,"name":"foo"}}"#)))
        #expect(out["volumes"] == (try json(#"{"v1":{"labels":{"x":"1","y":""},"driver_opts":{"a":"1"}},"v2":null}"#)))
        #expect(warnings == ["networks.n1: external.name is deprecated. Please set name and external: true"])
    }

    @Test("name and external.name that differ conflict")
    func externalConflict() throws {
        let doc = try #require(try YAMLReader.documents("volumes:\n  v: {name: a, external: {name: b}}\n", file: "t.yml").first)
        #expect(throws: ComposeError.self) { try Canonical.apply(doc) }
    }

    @Test("canonical output is a fixed point, and marks are kept")
    func idempotent() throws {
        let text = """
        services:
          a:
            image: x
            ports: ["8080:80", "9000-9001:9000-9001/udp"]
            volumes: ["./a:/a:ro", "vol:/v"]
            environment: [A=1, B]
            depends_on: [b]
            command: echo hi
            extra_hosts: ["h:1.1.1.1"]
            build: .
        """
        let doc = try #require(try YAMLReader.documents(text, file: "t.yml").first)
        let once = try Canonical.apply(doc)
        #expect(try Canonical.apply(once) == once)
        #expect(once["services"]?["a"]?["ports"]?.array?[1].mark?.line == 4)
        #expect(once["services"]?["a"]?["volumes"]?.array?[0]["source"]?.mark?.line == 5)
    }

    @Test("a thousand services canonicalise quickly")
    func performance() throws {
        var text = "services:\n"
        for i in 0..<1000 {
            text += "  s\(i):\n    image: x\n    ports: [\"\(8000 + i):80\"]\n    volumes: [\"./d\(i):/d\"]\n    environment: [A=\(i)]\n    depends_on: [s0]\n"
        }
        let doc = try #require(try YAMLReader.documents(text, file: "t.yml").first)
        let clock = ContinuousClock()
        var out = doc
        let elapsed = try clock.measure { out = try Canonical.apply(doc) }
        #expect(out["services"]?.object?.count == 1000)
        #expect(elapsed < .milliseconds(500))
    }
}

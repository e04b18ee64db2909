"""Prints the structure of an Airflow DAG file as JSON, without Airflow: read with ``ast``.

Usage: python3 dag_structure.py DAG_FILE

Output: {"dag": {keyword arguments of DAG(...) that are literals or calls}, "default_args": {...},
"tasks": {task_id: bash_command with the CLI path as ${CLI}}, "edges": [[upstream, downstream], ...]}.
Only the constructs our DAGs use are understood; anything else is an error, so a test notices.
"""
import ast
import json
import sys


def literal(node, names):
    """The value of a literal, a name bound to one, a timedelta/datetime call, or CLI + "..."."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ValueError("unknown name %s at line %d" % (node.id, node.lineno))
        return names[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return literal(node.left, names) + literal(node.right, names)
    if isinstance(node, ast.Dict):
        return {literal(k, names): literal(v, names) for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [literal(e, names) for e in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("timedelta", "datetime"):
        args = [literal(a, names) for a in node.args]
        kwargs = {k.arg: literal(k.value, names) for k in node.keywords}
        return {node.func.id: {"args": args, **kwargs}}
    raise ValueError("unsupported expression at line %d: %s" % (node.lineno, ast.dump(node)))


def main(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    names = {"CLI": "${CLI}"}
    result = {"dag": None, "default_args": None, "tasks": {}, "edges": []}
    variables = {}  # python variable -> task_id

    def side(node):
        if isinstance(node, ast.Name):
            return [variables[node.id]]
        if isinstance(node, ast.List):
            return [variables[e.id] for e in node.elts]
        raise ValueError("unsupported dependency at line %d" % node.lineno)

    def visit(statements):
        for statement in statements:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                target = statement.targets[0].id
                value = statement.value
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id.endswith("Operator"):
                    kwargs = {k.arg: literal(k.value, names) for k in value.keywords}
                    variables[target] = kwargs["task_id"]
                    result["tasks"][kwargs["task_id"]] = {"operator": value.func.id, **{k: v for k, v in kwargs.items() if k != "task_id"}}
                elif target == "CLI":
                    continue
                else:
                    names[target] = literal(value, names)
                    if target == "default_args":
                        result["default_args"] = names[target]
            elif isinstance(statement, ast.With):
                call = statement.items[0].context_expr
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "DAG":
                    result["dag"] = {k.arg: literal(k.value, names) for k in call.keywords}
                visit(statement.body)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.BinOp) and isinstance(statement.value.op, ast.RShift):
                chain = []
                node = statement.value
                while isinstance(node, ast.BinOp) and isinstance(node.op, ast.RShift):
                    chain.insert(0, node.right)
                    node = node.left
                chain.insert(0, node)
                for upstream, downstream in zip(chain, chain[1:]):
                    for up in side(upstream):
                        for down in side(downstream):
                            result["edges"].append([up, down])
            elif isinstance(statement, (ast.Import, ast.ImportFrom)) or (
                    isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
                continue
            else:
                raise ValueError("unsupported statement at line %d" % statement.lineno)

    visit(tree.body)
    json.dump(result, sys.stdout, indent=2)  # tasks in the order the DAG defines them
    print()


if __name__ == "__main__":
    main(sys.argv[1])

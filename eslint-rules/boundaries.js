// Lint rule `handover/boundaries`: the architecture's import boundaries.
//  - an app never imports another app (apps share code only through libs);
//  - libs are imported only through their entry points (`#contracts`, never `#contracts/x` or a path into libs/);
//  - a lib never imports an app;
//  - only the launcher imports apps, and only through each app's `src/index.ts`.
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

function area(file) {
  const rel = path.relative(ROOT, file).split(path.sep);
  if ((rel[0] === 'apps' || rel[0] === 'libs') && rel.length > 2) return { kind: rel[0], name: rel[1] };
  return { kind: rel[0] ?? '', name: '' };
}

export default {
  meta: { type: 'problem', docs: { description: 'enforce app and lib boundaries' }, schema: [] },
  create(context) {
    const filename = context.filename;
    const from = area(filename);
    function check(node, source) {
      if (typeof source !== 'string') return;
      if (/^#[^/]+\//.test(source)) {
        context.report({ node, message: `deep import "${source}": import a lib through its entry point only` });
        return;
      }
      if (!source.startsWith('.')) return;
      const target = path.resolve(path.dirname(filename), source);
      const to = area(target);
      if (to.kind === 'libs') {
        if (from.kind !== 'libs' || from.name !== to.name)
          context.report({ node, message: `"${source}" reaches into libs/${to.name}: import it as #${to.name}` });
      } else if (to.kind === 'apps') {
        if (from.kind === 'apps' && from.name !== to.name)
          context.report({
            node,
            message: `apps/${from.name} imports apps/${to.name}: apps share code only through libs`,
          });
        else if (from.kind === 'libs') context.report({ node, message: `libs/${from.name} imports an app` });
        else if (from.kind !== 'apps' && !/apps\/[^/]+\/src\/index\.js$/.test(source))
          context.report({ node, message: `"${source}": outside an app, import only its src/index.ts` });
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

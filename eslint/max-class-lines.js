// A class may span at most `max` lines (STYLE: no class over 250). ESLint has max-lines for files and
// max-lines-per-function for functions, but nothing for classes, so this small rule holds it.
/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'suggestion',
    docs: { description: 'Limit the number of lines a class may span' },
    schema: [{ type: 'object', properties: { max: { type: 'integer', minimum: 1 } }, additionalProperties: false }],
    messages: { tooLong: 'Class {{name}} spans {{lines}} lines; at most {{max}} allowed.' },
  },
  create(context) {
    const max = context.options[0]?.max ?? 250;
    const check = (node) => {
      const lines = node.loc.end.line - node.loc.start.line + 1;
      if (lines <= max) return;
      const name = node.id?.name ?? '(anonymous)';
      context.report({ node: node.id ?? node, messageId: 'tooLong', data: { name, lines, max } });
    };
    return { ClassDeclaration: check, ClassExpression: check };
  },
};

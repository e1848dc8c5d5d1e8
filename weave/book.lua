-- book.lua: the pandoc filter of our weave.
--
-- 1. Diagrams.  A fenced block ```{.dot caption="..."} in a chapter is
--    Graphviz: for HTML it becomes an inline SVG figure, for LaTeX a PDF
--    figure.  dot runs at weave time; PDFs are cached by content in
--    $WEAVE_DOT_DIR.  A diagram that does not draw becomes a visible error
--    box, and the book is still woven.
-- 2. Step headings ("## P:100 Title") show their marker as a small grey
--    label: a link in HTML, \lgmarker in LaTeX (hung in the left margin).
-- 3. Figures are numbered as LaTeX numbers them ("Figure 3.2", the
--    number comes from lgweave); one wider than the text block is
--    reported on stderr ("too wide"), and drawn shrunk to fit.
-- 4. Concept-index spans, [words]{.idx}, keep their id (lgweave gives
--    one) as an anchor; in LaTeX a label the index's page numbers use.
--
-- What this filter once did to every word, lgweave now does in C as it
-- writes the Markdown (weave/refs.c: references as links) or reads the
-- finished page (weave/search.c: the text for search).  pandoc hands a
-- filter every element it asks for, and the words of 500 pages are many;
-- so this filter asks only for code blocks, headings and spans.

local html = FORMAT:match('html') ~= nil
local latex = FORMAT:match('latex') ~= nil
local dot_dir = os.getenv('WEAVE_DOT_DIR') or '.'
local dot_font = os.getenv('WEAVE_DOT_FONT') or 'DejaVu Sans'
-- The text block: HTML's main column (46rem of 19px, in pt), the PDF's
-- \textwidth (A4 less the margins of book/metadata.yaml).
local html_width_pt = math.floor(46 * 19 * 0.75)
local page = ''         -- the HTML page being woven (metadata "page")

local function dot(format, source)
  local args = { '-T' .. format,
    '-Gfontname=' .. dot_font, '-Nfontname=' .. dot_font,
    '-Efontname=' .. dot_font, '-Gfontsize=11', '-Nfontsize=11',
    '-Efontsize=10', '-Gbgcolor=transparent' }
  return pcall(pandoc.pipe, 'dot', args, source)
end

-- An SVG that can sit inside an HTML page: no prolog, no ids of its own
-- (several diagrams on a page would clash), no tooltips.
local function clean_svg(svg)
  svg = svg:gsub('<%?xml.-%?>%s*', '')
  svg = svg:gsub('<!DOCTYPE.->%s*', '')
  svg = svg:gsub('<!%-%-.-%-%->%s*', '')
  svg = svg:gsub('<title>.-</title>%s*', '')
  svg = svg:gsub(' id="[^"]*"', '')
  svg = svg:gsub('<svg ', '<svg role="img" ', 1)
  return svg
end

local function caption_of(block)
  local text = block.attributes['caption'] or ''
  local doc = pandoc.read(text, 'markdown')
  if doc.blocks[1] then
    return doc.blocks[1].content
  end
  return {}
end

local function failed(block, why)
  io.stderr:write('book.lua: a dot diagram did not draw: ' .. tostring(why) .. '\n')
  return pandoc.Div({
    pandoc.Para({ pandoc.Strong({ pandoc.Str('This diagram did not draw:') }) }),
    pandoc.CodeBlock(block.text) }, pandoc.Attr('', { 'diagram-error' }))
end

local function CodeBlock(block)
  if not block.classes:includes('dot') then
    return nil
  end
  local id = block.identifier
  local caption = caption_of(block)
  local number = block.attributes['number']
  if html then
    local ok, svg = dot('svg', block.text)
    if not ok then return failed(block, svg) end
    local width = tonumber(svg:match('<svg width="([%d.]+)pt"') or '0')
    if width > html_width_pt then
      io.stderr:write(string.format('book.lua: %s: Figure %s%s is too wide: %.0fpt, the text block is %dpt\n',
        page, number or '?', id ~= '' and (' (' .. id .. ')') or '', width, html_width_pt))
    end
    if number then
      table.insert(caption, 1, pandoc.Space())
      table.insert(caption, 1, pandoc.Strong({ pandoc.Str('Figure ' .. number .. '.') }))
    end
    local open = '<figure class="diagram"' .. (id ~= '' and (' id="' .. id .. '"') or '') .. '>\n'
    return {
      pandoc.RawBlock('html', open .. clean_svg(svg) .. '<figcaption>'),
      pandoc.Plain(caption),
      pandoc.RawBlock('html', '</figcaption></figure>') }
  elseif latex then
    local file = dot_dir .. '/' .. pandoc.utils.sha1(dot_font .. block.text) .. '.pdf'
    local f = io.open(file, 'r')
    if f then
      f:close()
    else
      local ok, pdf = dot('pdf', block.text)
      if not ok then return failed(block, pdf) end
      f = io.open(file, 'wb')
      f:write(pdf)
      f:close()
    end
    local label = id ~= '' and ('\\label{' .. id .. '}') or ''
    local name = (number and ('Figure ' .. number) or 'a figure') .. (id ~= '' and (' (' .. id .. ')') or '')
    local inlines = { pandoc.RawInline('latex', '\\caption{') }
    for _, x in ipairs(caption) do table.insert(inlines, x) end
    table.insert(inlines, pandoc.RawInline('latex', '}' .. label))
    return {
      pandoc.RawBlock('latex', '\\begin{figure}[htbp]\\centering' .. (id ~= '' and ('\\lgdest{' .. id .. '}') or '')
        .. '\\lgdiagram{' .. file .. '}{' .. name .. '}'),
      pandoc.Plain(inlines),
      pandoc.RawBlock('latex', '\\end{figure}') }
  end
  return nil
end

local function Header(h)
  if h.level == 1 then
    local number = h.attributes['number']
    if html and number then
      h.content:insert(1, pandoc.Space())
      h.content:insert(1, pandoc.Span({ pandoc.Str(number) }, pandoc.Attr('', { 'chapter-number' })))
    elseif latex and not number then
      -- Front and back matter, the index: unnumbered, but their pages'
      -- headers name them, not the chapter before.
      h.classes:insert('unnumbered')
      local title = pandoc.utils.stringify(h):gsub('[#$%%&_{}]', '\\%0')
      return { h, pandoc.RawBlock('latex', '\\markboth{' .. title .. '}{}') }
    end
    return h
  end
  if not (latex and h.classes:includes('step')) then
    return nil
  end
  -- The first inline is the marker's link; LaTeX hangs it in the margin.
  local first = h.content[1]
  if first and first.t == 'Link' then
    h.content[1] = pandoc.RawInline('latex', '\\lgmarker{' .. h.identifier .. '}')
    if h.content[2] and h.content[2].t == 'Space' then
      h.content:remove(2)
    end
  end
  return h
end

-- [words]{.idx}: an anchor for the index of concepts.
local function Span(span)
  if not span.classes:includes('idx') or span.identifier == '' then
    return nil
  end
  if latex then
    local id = span.identifier
    span.identifier = ''
    span.content:insert(1, pandoc.RawInline('latex', '\\hypertarget{' .. id .. '}{}\\label{' .. id .. '}'))
  end
  return span
end

return {
  { Meta = function(meta)
      page = meta.page and pandoc.utils.stringify(meta.page) or ''
    end },
  { CodeBlock = CodeBlock, Header = Header, Span = Span },
}
